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

    /// <summary>
    /// The method numbering this translation shares with others (the groups of hot code tiered translation compiles
    /// from one image and entry set: each holds some of the image's methods under the whole image's indices), so the
    /// machine may attach several and keep chaining; null: its indices are its own.
    /// </summary>
    public virtual string? MethodNumbering => null;
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
/// The bytes may begin before the entry (a loop whose head precedes the entry point).
/// </summary>
public sealed class TranslatedRegion
{
    /// <param name="method">
    /// The index of the translated method the region enters (regions of one method share it; at most
    /// <see cref="MaxMethods"/>), which translated code names when it chains straight into that method
    /// (<see cref="Cpu.X86Cpu.TcChainable"/>); -1 for code that never chains.
    /// </param>
    public TranslatedRegion(uint linearStart, uint physicalStart, uint codeStart, byte[] guestBytes, int guestInstructions, TranslatedCode code, int method = -1)
    {
        if (method < -1 || method >= MaxMethods)
        {
            throw new ArgumentOutOfRangeException(nameof(method), $"a method index is -1 or below {MaxMethods}");
        }

        Method = method;
        ArgumentNullException.ThrowIfNull(guestBytes);
        ArgumentNullException.ThrowIfNull(code);
        if (codeStart > linearStart || linearStart - codeStart >= (uint)Math.Max(guestBytes.Length, 1)
            || (codeStart & 0xFFF) + (uint)guestBytes.Length > 2 * 4096)
        {
            throw new ArgumentException($"region 0x{linearStart:X8}: its guest bytes (0x{codeStart:X8}, {guestBytes.Length} bytes) must hold the entry and stay in two adjacent pages");
        }

        LinearStart = linearStart;
        PhysicalStart = physicalStart;
        CodeStart = codeStart;
        GuestBytes = guestBytes;
        GuestInstructions = guestInstructions;
        Code = code;
    }

    /// <summary>Linear address of the region's entry.</summary>
    public uint LinearStart { get; }

    /// <summary>Physical address the entry was loaded at.</summary>
    public uint PhysicalStart { get; }

    /// <summary>
    /// Linear address of the first byte of <see cref="GuestBytes"/> (at or before the entry, in its page or the one
    /// before: a method may hold a function that runs on into the next page).
    /// </summary>
    public uint CodeStart { get; }

    /// <summary>The guest bytes [CodeStart, CodeStart + length) the region was translated from.</summary>
    public byte[] GuestBytes { get; }

    /// <summary>Guest instructions translated in the region.</summary>
    public int GuestInstructions { get; }

    public TranslatedCode Code { get; }

    /// <summary>The index of the translated method this region enters, or -1 (see the constructor).</summary>
    public int Method { get; }

    /// <summary>Bound on method indices, so a malformed translation cannot make the machine allocate without limit.</summary>
    public const int MaxMethods = 1 << 20;
}
