namespace Translator.Guest;

/// <summary>What a symbol of a kernel image names.</summary>
public enum GuestSymbolKind
{
    Function,
    Data,
}

/// <summary>One entry of a kernel's symbol map: a function or a data item and where it lives in guest memory.</summary>
public sealed record GuestSymbol(string Name, uint Address, uint Size, GuestSymbolKind Kind);
