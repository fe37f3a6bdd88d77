using System.Collections.Generic;

namespace Translator.Translation;

/// <summary>
/// What the C# file of a translation holds, as data: each translated method with its own source text, the region
/// entries and the instructions left to the shared handlers. The file is made from this; a back end that compiles
/// the methods by other means (IL emitted directly, <c>Translator.Vmm</c>'s DirectIl) builds the same image from it
/// without reading the file's tables back.
/// </summary>
public sealed class TranslationLayout
{
    public TranslationLayout(IReadOnlyList<TranslatedMethodSource> methods, IReadOnlyList<RegionEntry> entries, IReadOnlyList<FallbackInstruction> fallbacks, string? chainDispatch)
    {
        Methods = methods;
        Entries = entries;
        Fallbacks = fallbacks;
        ChainDispatch = chainDispatch;
    }

    /// <summary>The translated methods in the file's order (a region entry names its method by position here).</summary>
    public IReadOnlyList<TranslatedMethodSource> Methods { get; }

    public IReadOnlyList<RegionEntry> Entries { get; }

    /// <summary>The file's <c>Fallbacks.Ops</c>, in index order.</summary>
    public IReadOnlyList<FallbackInstruction> Fallbacks { get; }

    /// <summary>The source of <c>ChainTo</c>, the dispatch on EIP into the methods; null when nothing chains.</summary>
    public string? ChainDispatch { get; }
}

/// <summary>One translated method: <c>private static int Name(X86Cpu cpu, int budget, int left, int depth)</c>.</summary>
public sealed class TranslatedMethodSource
{
    public TranslatedMethodSource(string name, uint codeStart, byte[] guestBytes, int instructions, int index, string source)
    {
        Name = name;
        CodeStart = codeStart;
        GuestBytes = guestBytes;
        Instructions = instructions;
        Index = index;
        Source = source;
    }

    public string Name { get; }

    public uint CodeStart { get; }

    public byte[] GuestBytes { get; }

    public int Instructions { get; }

    /// <summary>The method's index in the whole image's numbering (what <c>cpu.TcChainable</c> names).</summary>
    public int Index { get; }

    /// <summary>The method's C#, attribute and signature included, as it stands in the file.</summary>
    public string Source { get; }
}

/// <summary>A region entry: its linear address, the physical address it was translated at, its method's position.</summary>
public sealed class RegionEntry
{
    public RegionEntry(uint linear, uint physical, int method)
    {
        Linear = linear;
        Physical = physical;
        Method = method;
    }

    public uint Linear { get; }

    public uint Physical { get; }

    public int Method { get; }
}

/// <summary>An instruction the translated code runs through the shared handlers.</summary>
public sealed class FallbackInstruction
{
    public FallbackInstruction(uint ip, byte[] bytes)
    {
        Ip = ip;
        Bytes = bytes;
    }

    public uint Ip { get; }

    public byte[] Bytes { get; }
}
