using System.CommandLine;

namespace Translator.Cli;

/// <summary>
/// <c>translator image SAMPLE|PROJECT [--pv] --out FILE</c>: writes a kernel's bare-metal multiboot image (bootable on
/// QEMU) or, with <c>--pv</c>, its PV image (runs only under <c>--backend pv</c>).
/// </summary>
internal static class ImageCommand
{
    public static readonly string[] Examples =
    [
        "translator image Compute --out compute.bin",
        "translator image Compute --pv --out compute-pv.bin",
        "translator image samples/Hello/Hello.csproj --out hello.bin",
        "translator image MyKernels --kernel Second --out second.bin",
    ];

    public static Command Create()
    {
        Argument<string> source = CommonOptions.Source("SAMPLE|PROJECT",
            "A sample kernel's name or a guest project (.csproj or its folder); a project is built only when it changed");
        var paravirtual = new Option<bool>("--pv") { Description = "Write the kernel's PV build (runs only under --backend pv)" };
        return CommonOptions.SourceToOutput("image", "Write a kernel's bare-metal multiboot image (bootable on QEMU) or its PV build",
            source, ("FILE", "Where to write the image"), paravirtual, Execute);
    }

    public static int Execute(string source, string output, bool paravirtual, string? kernel, TextWriter stderr, Progress progress)
    {
        GuestImages? builds = GuestImageSource.LoadBuilds(source, kernel, progress, stderr);
        if (builds is null)
        {
            return ExitCodes.BadInput;
        }

        byte[]? image = paravirtual ? builds.Paravirt : builds.BareMetal;
        if (image is null)
        {
            stderr.WriteLine(paravirtual
                ? $"translator: {source} has no PV build (an image file holds only the build it is; a DSL kernel's project or sample holds both, unless a TRN1003 warning said why not)"
                : $"translator: {source} is a PV image: it has no bare-metal build");
            return ExitCodes.BadInput;
        }

        try
        {
            File.WriteAllBytes(output, image);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            stderr.WriteLine($"translator: cannot write '{output}': {e.Message}");
            return ExitCodes.BadInput;
        }

        stderr.WriteLine($"translator: wrote {image.Length} bytes to {output}");
        return 0;
    }
}
