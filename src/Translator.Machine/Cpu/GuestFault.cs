namespace Translator.Machine.Cpu;

/// <summary>The architectural exception vectors the emulated CPU raises.</summary>
public enum ExceptionVector : byte
{
    DivideError = 0,
    Debug = 1,
    Nmi = 2,
    Breakpoint = 3,
    Overflow = 4,
    BoundRange = 5,
    InvalidOpcode = 6,
    DeviceNotAvailable = 7,
    DoubleFault = 8,
    InvalidTss = 10,
    SegmentNotPresent = 11,
    StackFault = 12,
    GeneralProtection = 13,
    PageFault = 14,
    MathFault = 16,
    AlignmentCheck = 17,

    /// <summary>#XM: an unmasked SSE floating-point exception with CR4.OSXMMEXCPT set.</summary>
    SimdFloatingPoint = 19,
}

/// <summary>
/// Thrown by an instruction that faults. The interpreter catches it, rewinds EIP to the faulting instruction and
/// delivers the exception through the guest IDT. One instance per CPU is reused so faulting allocates nothing.
/// </summary>
public sealed class GuestFault : Exception
{
    public ExceptionVector Vector { get; private set; }

    public bool HasErrorCode { get; private set; }

    public uint ErrorCode { get; private set; }

    internal GuestFault Set(ExceptionVector vector, bool hasErrorCode, uint errorCode)
    {
        Vector = vector;
        HasErrorCode = hasErrorCode;
        ErrorCode = errorCode;
        return this;
    }

    public override string Message => HasErrorCode ? $"#{Mnemonic(Vector)}({ErrorCode:X})" : $"#{Mnemonic(Vector)}";

    public static string Mnemonic(ExceptionVector vector) => vector switch
    {
        ExceptionVector.DivideError => "DE",
        ExceptionVector.Debug => "DB",
        ExceptionVector.Nmi => "NMI",
        ExceptionVector.Breakpoint => "BP",
        ExceptionVector.Overflow => "OF",
        ExceptionVector.BoundRange => "BR",
        ExceptionVector.InvalidOpcode => "UD",
        ExceptionVector.DeviceNotAvailable => "NM",
        ExceptionVector.DoubleFault => "DF",
        ExceptionVector.InvalidTss => "TS",
        ExceptionVector.SegmentNotPresent => "NP",
        ExceptionVector.StackFault => "SS",
        ExceptionVector.GeneralProtection => "GP",
        ExceptionVector.PageFault => "PF",
        ExceptionVector.AlignmentCheck => "AC",
        ExceptionVector.SimdFloatingPoint => "XM",
        _ => ((int)vector).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// The guest did something this machine deliberately does not model (a non-flat segment, a 16-bit TSS, virtual-8086
/// mode...). The machine stops with "guest crashed" and this message, instead of silently diverging from hardware.
/// </summary>
public sealed class UnsupportedGuestOperationException(string message) : Exception(message);
