using Translator.Machine.Cpu.X87;

namespace Translator.Machine.Snapshots;

/// <summary>
/// The x87/MMX registers in a snapshot (its own section, so a snapshot written before the unit existed loads with
/// the FPU in its reset state): R0-R7 by physical number, FCW, FSW with TOP, which registers are empty, the last
/// instruction's opcode and pointers, and whether FERR# is asserted.
/// </summary>
public sealed class X87State
{
    public Float80[] Registers { get; init; } = new Float80[8];

    public byte EmptyMask { get; set; }

    public ushort Control { get; set; }

    public ushort Status { get; set; }

    public ushort Opcode { get; set; }

    public uint InstructionPointer { get; set; }

    public ushort InstructionSelector { get; set; }

    public uint DataPointer { get; set; }

    public ushort DataSelector { get; set; }

    public bool ErrorSignalled { get; set; }

    public static X87State Capture(X87Fpu fpu) => new()
    {
        Registers = (Float80[])fpu.Registers.Clone(),
        EmptyMask = fpu.EmptyMask,
        Control = fpu.Control,
        Status = fpu.Status,
        Opcode = fpu.Opcode,
        InstructionPointer = fpu.InstructionPointer,
        InstructionSelector = fpu.InstructionSelector,
        DataPointer = fpu.DataPointer,
        DataSelector = fpu.DataSelector,
        ErrorSignalled = fpu.ErrorSignalled,
    };

    public void ApplyTo(X87Fpu fpu)
    {
        Registers.CopyTo(fpu.Registers, 0);
        fpu.EmptyMask = EmptyMask;
        fpu.Control = Control;
        fpu.Status = Status;
        fpu.Opcode = Opcode;
        fpu.InstructionPointer = InstructionPointer;
        fpu.InstructionSelector = InstructionSelector;
        fpu.DataPointer = DataPointer;
        fpu.DataSelector = DataSelector;
        fpu.ErrorSignalled = ErrorSignalled;
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (Float80 r in Registers)
        {
            writer.Write(r.Significand);
            writer.Write(r.SignExponent);
        }

        writer.Write(EmptyMask);
        writer.Write(Control);
        writer.Write(Status);
        writer.Write(Opcode);
        writer.Write(InstructionPointer);
        writer.Write(InstructionSelector);
        writer.Write(DataPointer);
        writer.Write(DataSelector);
        writer.Write(ErrorSignalled);
    }

    public static X87State Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var state = new X87State();
        for (int i = 0; i < 8; i++)
        {
            ulong significand = reader.ReadUInt64();
            state.Registers[i] = new Float80(reader.ReadUInt16(), significand);
        }

        state.EmptyMask = reader.ReadByte();
        state.Control = reader.ReadUInt16();
        state.Status = reader.ReadUInt16();
        state.Opcode = reader.ReadUInt16();
        state.InstructionPointer = reader.ReadUInt32();
        state.InstructionSelector = reader.ReadUInt16();
        state.DataPointer = reader.ReadUInt32();
        state.DataSelector = reader.ReadUInt16();
        state.ErrorSignalled = reader.ReadBoolean();
        return state;
    }
}
