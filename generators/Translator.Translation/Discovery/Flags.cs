namespace Translator.Translation.Discovery;

/// <summary>The six status flags as EFLAGS bit masks (what liveness tracks).</summary>
internal static class Flags
{
    public const int CF = 0x001, PF = 0x004, AF = 0x010, ZF = 0x040, SF = 0x080, OF = 0x800;
    public const int All = CF | PF | AF | ZF | SF | OF;

    /// <summary>Flags a condition code (the low nibble of Jcc/SETcc/CMOVcc) reads.</summary>
    public static int ReadBy(int cc) => (cc >> 1) switch
    {
        0 => OF,
        1 => CF,
        2 => ZF,
        3 => CF | ZF,
        4 => SF,
        5 => PF,
        6 => SF | OF,
        _ => ZF | SF | OF,
    };
}
