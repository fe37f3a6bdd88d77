namespace Translator.KernelCompiler.Model;

/// <summary>One entry of the symbol map the build emits.</summary>
internal sealed record ImageSymbol(string Name, uint Address, uint Size, bool IsFunction);

/// <summary>One build's image: its bytes, entry, symbol map and listing (empty when the build has no image).</summary>
internal sealed record LinkedImage(EquatableArray<byte> Bytes, uint EntryAddress, EquatableArray<ImageSymbol> Symbols, string Listing)
{
    public static readonly LinkedImage None = new(EquatableArray<byte>.Empty, 0, EquatableArray<ImageSymbol>.Empty, "");
}

/// <summary>
/// The linker's output for one kernel: both builds' images and the link diagnostics. <paramref name="CanBeExtended"/>
/// is false when the class is not a top-level static partial class (TRN0001): then nothing is emitted into it, since a
/// generated part would only add C#'s own errors (a partial part of a class that is not partial) to that one.
/// </summary>
internal sealed record KernelImageModel(
    string Namespace,
    string ClassName,
    string Modifiers,
    LinkedImage BareMetal,
    LinkedImage Paravirtual,
    EquatableArray<DiagnosticInfo> Diagnostics,
    bool CanBeExtended = true)
{
    /// <summary>The bare-metal image's bytes (what the translation stage and the emitted <c>Image</c> take).</summary>
    public EquatableArray<byte> Image => BareMetal.Bytes;
}
