using Iced.Intel;
using Translator.Machine.Cpu;

namespace Translator.Machine.Decoders;

/// <summary>
/// FS- and GS-relative memory operands (a segment with a base, see <see cref="X86Cpu.SegmentBases"/>). Every other
/// segment is flat, so only these few instructions pay: their handler is wrapped to add the segment's base to the
/// displacement for the one execution. The compiled tier and translated code never inline them (the wrapper is not a
/// fast path the block compiler knows, and the translation core sends FS/GS operands to the handler).
/// </summary>
internal static unsafe class SegmentOverride
{
    public static DecodedOp Wrap(ref DecodedOp op)
    {
        Instruction i = op.Instruction;
        if (i.MemorySegment is not (Register.FS or Register.GS) || !UsesMemory(in i) || i.Mnemonic == Mnemonic.Lea)
        {
            return op; // LEA computes an offset: the segment does not take part
        }

        op.Segment = (byte)(i.MemorySegment - Register.ES);
        op.Unsegmented = op.Execute;
        op.RegisterOnly = false;
        op.Execute = IsStringOperand(in i) || op.AddressSize16 ? &Unsupported : &Execute;
        return op;
    }

    private static bool UsesMemory(in Instruction i)
    {
        for (int n = 0; n < i.OpCount; n++)
        {
            if (i.GetOpKind(n) is OpKind.Memory or OpKind.MemorySegSI or OpKind.MemorySegESI or OpKind.MemorySegDI or OpKind.MemorySegEDI)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsStringOperand(in Instruction i) => i.Op0Kind is not OpKind.Memory && i.Op1Kind is not OpKind.Memory;

    private static void Execute(X86Cpu c, ref DecodedOp op)
    {
        uint displacement = op.Displacement;
        op.Displacement = displacement + c.SegmentBases[op.Segment];
        try
        {
            op.Unsegmented(c, ref op);
        }
        finally
        {
            op.Displacement = displacement;
        }
    }

    private static void Unsupported(X86Cpu c, ref DecodedOp op)
    {
        if (c.SegmentBases[op.Segment] == 0)
        {
            op.Unsegmented(c, ref op); // a flat FS/GS: nothing to add
            return;
        }

        throw new UnsupportedGuestOperationException(
            $"{op.Instruction}: an FS/GS base on a string or 16-bit-addressed operand is not modelled");
    }
}
