using Iced.Intel;
using Translator.Machine.Cpu;

namespace Translator.Machine.Decoders;

/// <summary>What an instruction operand refers to, resolved once at decode time.</summary>
internal enum OperandKind : byte
{
    None,
    Gpr,
    Memory,
    Immediate,
    Segment,
    Control,
    Debug,
    Other,
}

/// <summary>
/// One guest instruction, decoded once by Iced and pre-resolved for the interpreter: the handler to call, register
/// numbers, the effective-address recipe (base + index &lt;&lt; scale + disp, where an absent register is the
/// always-zero slot), immediates and sizes. Blocks of these are cached per physical page.
/// </summary>
internal unsafe struct DecodedOp
{
    public delegate*<X86Cpu, ref DecodedOp, void> Execute;
    public uint Ip;
    public uint NextIp;

    /// <summary>Width of the main operand in bits (8, 16 or 32).</summary>
    public byte Bits;

    /// <summary>Width of the second operand in bits (MOVZX/MOVSX sources, shift counts...).</summary>
    public byte SrcBits;

    public OperandKind K0;
    public OperandKind K1;
    public OperandKind K2;
    public byte R0;
    public byte R1;
    public byte R2;

    public byte Base;
    public byte Index;
    public byte Scale;
    public bool AddressSize16;

    /// <summary>
    /// Works on registers only and can neither fault nor end the block early, so compiled blocks skip the
    /// bookkeeping that faults and early exits need.
    /// </summary>
    public bool RegisterOnly;

    /// <summary>Condition code (0-15) for Jcc/SETcc/CMOVcc.</summary>
    public byte Condition;

    public uint Displacement;
    public uint Immediate;
    public uint Immediate2;

    /// <summary>An FS/GS-relative operand: the segment whose base <see cref="SegmentOverride"/> adds, and the handler it wraps.</summary>
    public byte Segment;
    public delegate*<X86Cpu, ref DecodedOp, void> Unsegmented;

    /// <summary>The Iced form, for the few handlers that need more and for diagnostics.</summary>
    public Instruction Instruction;
}

/// <summary>A straight-line run of decoded instructions ending at a control transfer or a page boundary.</summary>
internal sealed class Block
{
    public required DecodedOp[] Ops;
    public required uint LinearIp;
    public required uint PhysicalIp;

    /// <summary>Physical page of the last byte (differs from the first when an instruction straddles a page).</summary>
    public required uint LastPhysicalPage;

    /// <summary>
    /// The other page of linear addresses the block's code, or the translated region attached to it, lies in, when
    /// there is one (<see cref="NoOtherPage"/> when not), and the physical page it mapped to then. The block's key
    /// holds only its own page's mapping, so a lookup after the mappings may have changed checks this one again.
    /// </summary>
    public uint OtherLinearPage = NoOtherPage;

    public uint OtherPhysicalPage;

    /// <summary>Not a page address: the block's code and region lie in its own page only.</summary>
    public const uint NoOtherPage = 1;

    /// <summary>
    /// The block's region spans <see cref="OtherLinearPage"/>, which did not map to <see cref="OtherPhysicalPage"/>
    /// when the block was decoded: it runs without the region, and a lookup once it does decodes the block afresh.
    /// </summary>
    public bool AwaitsOtherPage;

    public bool Valid = true;

    /// <summary>Times executed by the interpreter before it was compiled (see <see cref="Execution.BlockCompiler"/>).</summary>
    public int Executions;

    /// <summary>The compiled form, once the block is hot; null while interpreted or when it cannot be compiled.</summary>
    public Execution.CompiledBlock? Compiled;

    /// <summary>The translated region entered at this block's address, when one is attached and still matches memory.</summary>
    public Translation.TranslatedCode? Translated;

    /// <summary>The translated method <see cref="Translated"/> belongs to (its chaining index), or -1.</summary>
    public int TranslatedMethod = -1;

    // The last two successors seen, tagged with the translation epoch they were found in (block chaining).
    public Block? Link0;
    public Block? Link1;
    public uint Link0Epoch;
    public uint Link1Epoch;
}
