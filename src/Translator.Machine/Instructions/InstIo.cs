using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>IN and OUT (the string forms are in <see cref="InstString"/>), with IOPL and TSS-bitmap checks.</summary>
internal static unsafe class InstIo
{
    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.In, &In);
        t.Add(Mnemonic.Out, &Out);
    }

    // IN AL/AX/EAX, imm8|DX: operand 0 is the accumulator, operand 1 the port.
    public static void In(X86Cpu c, ref DecodedOp op)
    {
        ushort port = op.K1 == OperandKind.Immediate ? (ushort)(op.Immediate & 0xFF) : (ushort)c.Reg(X86Cpu.EDX);
        int size = op.Bits / 8;
        c.CheckIoPermission(port, size);
        if (c.Vmx is not null && c.ExitsOnIo(ref op, port, size, input: true, isString: false, rep: false, immediate: op.K1 == OperandKind.Immediate))
        {
            return;
        }

        WriteGpr(c, X86Cpu.EAX, op.Bits, c.Io.Read(port, size));
    }

    // OUT imm8|DX, AL/AX/EAX: operand 0 is the port, operand 1 the accumulator.
    public static void Out(X86Cpu c, ref DecodedOp op)
    {
        ushort port = op.K0 == OperandKind.Immediate ? (ushort)(op.Immediate & 0xFF) : (ushort)c.Reg(X86Cpu.EDX);
        int bits = op.K0 == OperandKind.Gpr ? op.SrcBits : op.Bits; // OUT DX, AL: DX is operand 0
        int size = bits / 8;
        c.CheckIoPermission(port, size);
        if (c.Vmx is not null && c.ExitsOnIo(ref op, port, size, input: false, isString: false, rep: false, immediate: op.K0 == OperandKind.Immediate))
        {
            return;
        }

        c.Io.Write(port, size, ReadGpr(c, X86Cpu.EAX, bits));

        // A device write can raise an interrupt request or move the timer deadline: let the interpreter look.
        c.StopBlock = true;
    }
}
