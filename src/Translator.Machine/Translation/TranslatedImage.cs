namespace Translator.Machine.Translation;

/// <summary>
/// The output of binary translation for one guest image, compiled into .NET code: the regions it holds and the
/// SHA-256 of the image they were translated from. Produced by the translator (generators/Translator.Translation)
/// at build time (a source generator) or at run time (compiled in memory, cached on disk), and looked up by hash.
/// </summary>
public abstract class TranslatedImage
{
    /// <summary>Lower-case hex SHA-256 of the image file the regions were translated from.</summary>
    public abstract string ImageSha256 { get; }

    /// <summary>Every translated region; built once, on first use.</summary>
    public abstract IReadOnlyList<TranslatedRegion> Regions { get; }
}

/// <summary>
/// Runs a translated region on <paramref name="cpu"/> and returns the guest instructions it retired; EIP is left at
/// the next guest instruction. <paramref name="budget"/> bounds the instructions a region that loops may retire
/// before it returns (so interrupts and the instruction budget are honoured).
/// </summary>
public delegate int TranslatedCode(Cpu.X86Cpu cpu, int budget);

/// <summary>
/// One translated region: a single-entry piece of guest code inside one 4 KiB page, as a .NET method. It is used
/// only while the guest bytes it was translated from are still there at the same linear and physical address.
/// </summary>
public sealed class TranslatedRegion(uint linearStart, uint physicalStart, byte[] guestBytes, int guestInstructions, TranslatedCode code)
{
    /// <summary>Linear address of the region's entry (and first byte).</summary>
    public uint LinearStart { get; } = linearStart;

    /// <summary>Physical address the entry was loaded at.</summary>
    public uint PhysicalStart { get; } = physicalStart;

    /// <summary>The guest bytes [LinearStart, LinearStart + length) the region was translated from.</summary>
    public byte[] GuestBytes { get; } = guestBytes;

    /// <summary>Guest instructions translated in the region.</summary>
    public int GuestInstructions { get; } = guestInstructions;

    public TranslatedCode Code { get; } = code;
}
