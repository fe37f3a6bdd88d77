namespace Translator.Machine.Cpu;

/// <summary>Basic VM-exit reasons, with Intel's numbering (SDM Vol. 3C, appendix C).</summary>
public enum VmExitReason
{
    ExceptionOrNmi = 0,
    ExternalInterrupt = 1,
    TripleFault = 2,
    InterruptWindow = 7,
    NmiWindow = 8,
    TaskSwitch = 9,
    Cpuid = 10,
    Hlt = 12,
    Invlpg = 14,
    Rdtsc = 16,
    Vmcall = 18,
    CrAccess = 28,
    IoInstruction = 30,
    Rdmsr = 31,
    Wrmsr = 32,
    EptViolation = 48,
}

/// <summary>Pin-based VM-execution controls (the bits this CPU implements, at their SDM positions).</summary>
[Flags]
public enum PinBasedControls : uint
{
    None = 0,

    /// <summary>Bit 0: external interrupts (here: the host's timer) cause VM exits instead of reaching the guest.</summary>
    ExternalInterruptExiting = 1u << 0,

    /// <summary>Bit 3: host NMIs cause VM exits (this platform's host has no NMI source; required for virtual NMIs).</summary>
    NmiExiting = 1u << 3,

    /// <summary>Bit 5: the guest's NMI blocking is virtual-NMI blocking, set by NMI injection and cleared by the guest's IRET.</summary>
    VirtualNmis = 1u << 5,
}

/// <summary>Primary processor-based VM-execution controls (SDM positions).</summary>
[Flags]
public enum ProcessorControls : uint
{
    None = 0,
    InterruptWindowExiting = 1u << 2,
    UseTscOffsetting = 1u << 3,
    HltExiting = 1u << 7,
    InvlpgExiting = 1u << 9,
    RdtscExiting = 1u << 12,
    Cr3LoadExiting = 1u << 15,
    Cr3StoreExiting = 1u << 16,
    UnconditionalIoExiting = 1u << 24,
    /// <summary>Bit 22: exit at the first boundary without (virtual-)NMI blocking or MOV SS blocking (needs virtual NMIs).</summary>
    NmiWindowExiting = 1u << 22,
    UseIoBitmaps = 1u << 25,
    UseMsrBitmaps = 1u << 28,
    ActivateSecondaryControls = 1u << 31,
}

/// <summary>Secondary processor-based VM-execution controls (SDM positions).</summary>
[Flags]
public enum SecondaryControls : uint
{
    None = 0,
    EnableEpt = 1u << 1,

    /// <summary>Bit 7: the guest may run with CR0.PG = 0 (its addresses are then guest-physical, translated by EPT).</summary>
    UnrestrictedGuest = 1u << 7,
}

/// <summary>The interruption type of an event (VM-entry interruption information, bits 10:8).</summary>
public enum InterruptionType
{
    ExternalInterrupt = 0,
    Nmi = 2,
    HardwareException = 3,
    SoftwareInterrupt = 4,
    PrivilegedSoftwareException = 5,
    SoftwareException = 6,
}

/// <summary>
/// The 32-bit interruption-information format shared by the VM-entry, VM-exit and IDT-vectoring fields
/// (SDM 24.8.3): vector in bits 7:0, type in 10:8, "deliver error code" in bit 11, valid in bit 31.
/// </summary>
public readonly record struct InterruptionInfo(uint Value)
{
    public const uint ValidBit = 1u << 31;
    public const uint ErrorCodeBit = 1u << 11;

    /// <summary>Bit 12 of the exit interruption information: the exit is a fault of an IRET that unblocked NMIs (27.2.3).</summary>
    public const uint NmiUnblockingDueToIret = 1u << 12;

    public static InterruptionInfo None => default;

    public static InterruptionInfo Create(int vector, InterruptionType type, bool deliverErrorCode) =>
        new((uint)(vector & 0xFF) | ((uint)type << 8) | (deliverErrorCode ? ErrorCodeBit : 0) | ValidBit);

    public bool Valid => (Value & ValidBit) != 0;

    public int Vector => (int)(Value & 0xFF);

    public InterruptionType Type => (InterruptionType)((Value >> 8) & 7);

    public bool DeliversErrorCode => (Value & ErrorCodeBit) != 0;

    public override string ToString() => Valid ? $"{Type} vector 0x{Vector:X2}{(DeliversErrorCode ? " +error code" : "")}" : "none";
}

/// <summary>Exit-qualification layouts of the SDM (Vol. 3C 27.2.1) for the exits that have one.</summary>
public static class ExitQualification
{
    /// <summary>EPT violations, bit 12: the violating access was an IRET's, and that IRET had unblocked NMIs (27.2.1).</summary>
    public const uint NmiUnblockingDueToIret = 1u << 12;

    /// <summary>CR-access access types (bits 5:4).</summary>
    public const uint MovToCr = 0, MovFromCr = 1, Clts = 2, Lmsw = 3;

    /// <summary>
    /// Table 27-3: bits 3:0 control register, 5:4 access type, 6 LMSW operand type (1 = memory), 11:8 the general
    /// register of a MOV, 31:16 the LMSW source data.
    /// </summary>
    public static uint ControlRegisterAccess(int cr, uint accessType, int gpr = 0, bool lmswMemory = false, uint lmswData = 0) =>
        (uint)(cr & 0xF) | (accessType << 4) | (lmswMemory ? 1u << 6 : 0) | ((uint)(gpr & 0xF) << 8) | ((lmswData & 0xFFFF) << 16);

    /// <summary>
    /// Table 27-5: bits 2:0 size - 1, 3 direction (1 = IN), 4 string instruction, 5 REP prefix, 6 operand encoding
    /// (1 = immediate port), 31:16 port number.
    /// </summary>
    public static uint IoInstruction(ushort port, int size, bool input, bool isString, bool rep, bool immediate) =>
        (uint)(size - 1) | (input ? 1u << 3 : 0) | (isString ? 1u << 4 : 0) | (rep ? 1u << 5 : 0)
        | (immediate ? 1u << 6 : 0) | ((uint)port << 16);

    /// <summary>EPT-violation bits (Table 27-7): 0 read, 1 write, 2 fetch, 3-5 the entry's R/W/X, 7 linear address valid, 8 final translation.</summary>
    public const uint EptRead = 1u << 0, EptWrite = 1u << 1, EptFetch = 1u << 2, EptReadable = 1u << 3,
        EptWritable = 1u << 4, EptExecutable = 1u << 5, EptLinearValid = 1u << 7, EptFinalTranslation = 1u << 8;
}
