namespace Translator.Machine.Cpu.X87;

/// <summary>
/// The x87 FPU's registers (SDM Vol. 1 8.1): eight 80-bit data registers used as a stack whose top is FSW.TOP, the
/// control word, the status word, the tag word (kept as "empty or not": FNSTENV and FNSAVE compute the other three
/// tags from the contents, as the processor does), and the last instruction's opcode, instruction and data pointers.
/// MMX registers are the data registers' significands (<see cref="WriteMmx"/>).
/// </summary>
public sealed class X87Fpu
{
    /// <summary>FNINIT's control word: all exceptions masked, 64-bit precision, round to nearest.</summary>
    public const ushort InitialControl = 0x037F;

    public const ushort StatusExceptionSummary = 1 << 7, StatusStackFault = 1 << 6, StatusBusy = 1 << 15;
    public const ushort StatusC0 = 1 << 8, StatusC1 = 1 << 9, StatusC2 = 1 << 10, StatusC3 = 1 << 14;
    public const ushort ConditionBits = StatusC0 | StatusC1 | StatusC2 | StatusC3;

    /// <summary>R0-R7, by physical number (ST(i) is R((TOP + i) mod 8)).</summary>
    public Float80[] Registers { get; } = new Float80[8];

    /// <summary>Bit i set: physical register i is empty (tag 11).</summary>
    public byte EmptyMask { get; set; } = 0xFF;

    public ushort Control { get; set; } = InitialControl;

    /// <summary>FSW with TOP in bits 11-13.</summary>
    public ushort Status { get; set; }

    /// <summary>The last non-control instruction's opcode: its first byte's low three bits and its ModRM byte.</summary>
    public ushort Opcode { get; set; }

    public uint InstructionPointer { get; set; }

    public ushort InstructionSelector { get; set; }

    public uint DataPointer { get; set; }

    public ushort DataSelector { get; set; }

    /// <summary>FERR# is asserted (IRQ 13 raised with CR0.NE = 0) until the guest writes port 0xF0 (IGNNE#).</summary>
    public bool ErrorSignalled { get; set; }

    /// <summary>FNINIT (and reset: QEMU hands a -kernel guest this state, not the SDM's power-up FCW of 0x0040).</summary>
    public void Initialize()
    {
        Control = InitialControl;
        Status = 0;
        EmptyMask = 0xFF;
        Opcode = 0;
        InstructionPointer = DataPointer = 0;
        InstructionSelector = DataSelector = 0;
    }

    public void Reset()
    {
        Initialize();
        Array.Clear(Registers);
        ErrorSignalled = false;
    }

    public int Top
    {
        get => (Status >> 11) & 7;
        set => Status = (ushort)((Status & ~0x3800) | ((value & 7) << 11));
    }

    public int Physical(int i) => (Top + i) & 7;

    public bool IsEmpty(int i) => (EmptyMask & (1 << Physical(i))) != 0;

    public Float80 St(int i) => Registers[Physical(i)];

    public void SetSt(int i, Float80 value)
    {
        int p = Physical(i);
        Registers[p] = value;
        EmptyMask &= (byte)~(1 << p);
    }

    public void Free(int i) => EmptyMask |= (byte)(1 << Physical(i));

    public void Pop()
    {
        Free(0);
        Top++;
    }

    public void Push(Float80 value)
    {
        Top--;
        SetSt(0, value);
    }

    /// <summary>The full tag word as FNSTENV/FNSAVE store it: 00 valid, 01 zero, 10 special, 11 empty.</summary>
    public ushort TagWord
    {
        get
        {
            int word = 0;
            for (int p = 0; p < 8; p++)
            {
                int tag = (EmptyMask & (1 << p)) != 0 ? 3 : Registers[p].Class switch
                {
                    Float80Class.Normal => 0,
                    Float80Class.Zero => 1,
                    _ => 2,
                };
                word |= tag << (2 * p);
            }

            return (ushort)word;
        }

        set
        {
            int empty = 0;
            for (int p = 0; p < 8; p++)
            {
                if (((value >> (2 * p)) & 3) == 3)
                {
                    empty |= 1 << p;
                }
            }

            EmptyMask = (byte)empty;
        }
    }

    /// <summary>The status word with TOP, as FNSTSW stores it; B mirrors ES.</summary>
    public ushort StatusWord => (Status & StatusExceptionSummary) != 0 ? (ushort)(Status | StatusBusy) : (ushort)(Status & ~StatusBusy);

    /// <summary>Records an operation's exceptions: the sticky flags, and ES with B when one is unmasked.</summary>
    internal void Raise(X87Exceptions raised)
    {
        ushort status = (ushort)(Status | (ushort)raised);
        if (((int)raised & ~Control & 0x3F) != 0)
        {
            status |= StatusExceptionSummary | StatusBusy;
        }

        Status = status;
    }

    /// <summary>Recomputes ES and B from the flags and masks (after FLDCW, FLDENV, FRSTOR).</summary>
    internal void UpdateSummary()
    {
        bool pending = (Status & ~Control & 0x3F) != 0;
        Status = pending ? (ushort)(Status | StatusExceptionSummary | StatusBusy) : (ushort)(Status & ~(StatusExceptionSummary | StatusBusy));
    }

    public bool ExceptionPending => (Status & StatusExceptionSummary) != 0;

    internal void SetConditions(ushort bits) => Status = (ushort)((Status & ~ConditionBits) | (bits & ConditionBits));

    // ---- MMX view ------------------------------------------------------------------------------------------------

    /// <summary>Every MMX instruction sets TOP to 0 and all tags valid (SDM Vol. 1 9.5.1).</summary>
    internal void EnterMmx()
    {
        Top = 0;
        EmptyMask = 0;
    }

    public ulong ReadMmx(int n) => Registers[n].Significand;

    /// <summary>An MMX write also sets the register's sign and exponent bits to ones (it reads as a NaN or infinity).</summary>
    public void WriteMmx(int n, ulong value) => Registers[n] = new Float80(0xFFFF, value);

    /// <summary>EMMS: every tag empty and, as every MMX instruction, TOP = 0 (SDM Vol. 1 table 9-2; the host does it too).</summary>
    internal void EmptyMmx()
    {
        Top = 0;
        EmptyMask = 0xFF;
    }
}
