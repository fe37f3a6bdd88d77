namespace Translator.KernelCompiler.Tests;

/// <summary>Reads a kernel image out of the generated source, as a build would compile it.</summary>
internal static class GeneratedImage
{
    /// <summary>The bytes of the generated <c>Image</c> array initializer.</summary>
    public static byte[] Bytes(string generated)
    {
        int from = generated.IndexOf("Image => new byte[]", StringComparison.Ordinal);
        int open = generated.IndexOf('{', from), close = generated.IndexOf('}', open);
        return generated[(open + 1)..close]
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(b => Convert.ToByte(b, 16))
            .ToArray();
    }
}
