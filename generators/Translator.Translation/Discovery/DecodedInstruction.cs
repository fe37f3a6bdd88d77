using Iced.Intel;

namespace Translator.Translation.Discovery;

/// <summary>How translated code executes an instruction.</summary>
internal enum Form
{
    /// <summary>Through the shared interpreter handler (privileged, sensitive or rare instructions).</summary>
    Fallback,

    /// <summary>As plain C#.</summary>
    Inline,

    /// <summary>As plain C# only while the flags it writes are dead; otherwise through the shared handler.</summary>
    InlineWhenFlagsDead,

    /// <summary>
    /// As plain C# that may or may not change the flags (a shift by CL: a zero count leaves them): pending flags are
    /// recorded first and the instruction records its own in the CPU, as a handler would.
    /// </summary>
    InlineRecordingFlags,
}

/// <summary>What the translator knows about one decoded guest instruction, independent of the region it lands in.</summary>
internal sealed class DecodedInstruction
{
    public DecodedInstruction(Instruction instruction, byte[] bytes)
    {
        Instruction = instruction;
        Bytes = bytes;
        Form = InstructionFacts.FormOf(in instruction);
        Condition = InstructionFacts.ConditionOf(in instruction);
        FlagsWritten = InstructionFacts.FlagsWritten(in instruction);
        PartialFlagWriter = instruction.Mnemonic is Mnemonic.Inc or Mnemonic.Dec;
        CanFault = InstructionFacts.CanFault(in instruction);
        EndsInterpreterBlock = Translator.Machine.Decoders.BlockBoundary.EndsBlock(in instruction);
    }

    public Instruction Instruction;

    public byte[] Bytes { get; }

    public uint Ip => Instruction.IP32;

    public uint NextIp => Instruction.NextIP32;

    public Form Form { get; set; }

    /// <summary>Condition code 0-15 for Jcc/SETcc/CMOVcc, else -1.</summary>
    public int Condition { get; }

    public int FlagsWritten { get; }

    /// <summary>INC/DEC: every flag but CF.</summary>
    public bool PartialFlagWriter { get; }

    /// <summary>May raise a fault when run inline (memory access, divide).</summary>
    public bool CanFault { get; }

    /// <summary>The interpreter's block decoder ends a block after it (where it checks for interrupts and the budget).</summary>
    public bool EndsInterpreterBlock { get; }

    public bool IsFallback => Form == Form.Fallback;

    /// <summary>Leaves the flags in the CPU's lazy state (a handler call or an inline form that records its own).</summary>
    public bool LeavesFlagsInCpu => Form is Form.Fallback or Form.InlineRecordingFlags;

    /// <summary>A direct near branch target, when the instruction has one.</summary>
    public uint? DirectTarget =>
        Instruction.Op0Kind is OpKind.NearBranch32 or OpKind.NearBranch16 ? Instruction.NearBranch32 : null;

    public FlowControl Flow => Instruction.FlowControl;

    /// <summary>A hypercall site of a PV image (set by <see cref="HypercallSites"/>); None elsewhere.</summary>
    public HypercallSite Hypercall { get; set; }

    /// <summary>The hypercall number of a Call or Jump site (the stub it enters); -1 for an int 0x82 site (EAX at run time).</summary>
    public int HypercallNumber { get; set; } = -1;
}

/// <summary>How a PV image reaches the VMM at one instruction.</summary>
internal enum HypercallSite
{
    None,

    /// <summary><c>call page + 32 * n</c>: the whole stub (EAX = n, the hypercall, the stub's ret) and on after the call.</summary>
    Call,

    /// <summary><c>jmp page + 32 * n</c>: the stub entered for good (iret: its push eax too); where the VMM leaves EIP.</summary>
    Jump,

    /// <summary>A literal <c>int 0x82</c>: the hypercall EAX names, on after the instruction.</summary>
    Int,
}
