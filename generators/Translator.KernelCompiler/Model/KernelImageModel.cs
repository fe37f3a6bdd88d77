namespace Translator.KernelCompiler.Model;

/// <summary>One entry of the symbol map the build emits.</summary>
internal sealed record ImageSymbol(string Name, uint Address, uint Size, bool IsFunction);

/// <summary>The linker's output for one kernel: the image bytes, its symbol map and listing, and link diagnostics.</summary>
internal sealed record KernelImageModel(
    string Namespace,
    string ClassName,
    string Modifiers,
    EquatableArray<byte> Image,
    uint EntryAddress,
    EquatableArray<ImageSymbol> Symbols,
    string Listing,
    EquatableArray<DiagnosticInfo> Diagnostics);
