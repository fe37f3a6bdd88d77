namespace Translator.Cli;

/// <summary>
/// <c>translator image SAMPLE|PROJECT [--pv] --out FILE</c>: writes a kernel's bare-metal multiboot image (bootable on
/// QEMU) or, with <c>--pv</c>, its PV image (runs only under <c>--backend pv</c>).
/// </summary>
internal static class ImageCommand
{
    public static int Execute(string source, string output, bool paravirtual, TextWriter stderr)
    {
        GuestImages? builds = GuestImageSource.LoadBuilds(source, stderr);
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
