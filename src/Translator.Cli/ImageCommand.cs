namespace Translator.Cli;

/// <summary><c>translator image SAMPLE|PROJECT --out FILE</c>: writes a kernel's bare-metal multiboot image (bootable on QEMU).</summary>
internal static class ImageCommand
{
    public static int Execute(string source, string output, TextWriter stderr)
    {
        byte[]? image = GuestImageSource.Load(source, stderr);
        if (image is null)
        {
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
