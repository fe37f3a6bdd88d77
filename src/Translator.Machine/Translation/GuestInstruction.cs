using System.ComponentModel;
using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;

namespace Translator.Machine.Translation;

/// <summary>
/// One guest instruction that translated code does not handle inline (privileged and sensitive ones, rare forms):
/// it runs through the interpreter's shared handler, resolved with the processor's
/// <see cref="X86Cpu.HandlerOverrides"/> so a VMM's callouts apply to translated code as to interpreted code.
/// Part of the ABI of translated code; generated regions keep these in a static array built at first use.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class GuestInstruction
{
    private readonly Instruction _instruction;

    /// <summary>
    /// The instruction resolved for one set of handler overrides. A translated image is shared by every machine in
    /// the process (tests run bare-metal and bt machines in parallel), so a resolution is replaced as a whole, never
    /// edited in place: a machine always runs the handler resolved for its own overrides.
    /// </summary>
    private sealed class Resolution(HandlerOverrides? overrides, DecodedOp op)
    {
        public readonly HandlerOverrides? Overrides = overrides;
        public DecodedOp Op = op;
    }

    private Resolution _resolved;

    /// <summary>Decodes <paramref name="bytes"/> (one instruction) as 32-bit code at <paramref name="ip"/>.</summary>
    public GuestInstruction(uint ip, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var decoder = Iced.Intel.Decoder.Create(32, new ByteArrayCodeReader(bytes), ip, DecoderOptions.None);
        decoder.Decode(out _instruction);
        _resolved = new Resolution(null, BlockDecoder.Resolve(in _instruction, overrides: null));
    }

    public uint Ip => _instruction.IP32;

    /// <summary>
    /// Executes the instruction with EIP already at its successor, as the interpreter runs the last instruction of a
    /// block: a control transfer overwrites EIP, a fault propagates as <see cref="GuestFault"/>.
    /// </summary>
    public void Execute(X86Cpu cpu)
    {
        Resolution resolved = _resolved;
        if (resolved.Overrides != cpu.HandlerOverrides)
        {
            // Allocates only when machines with different overrides take turns, never per execution of one machine.
            resolved = new Resolution(cpu.HandlerOverrides, BlockDecoder.Resolve(in _instruction, cpu.HandlerOverrides));
            _resolved = resolved;
        }

        ref DecodedOp op = ref resolved.Op;
        cpu.Eip = op.NextIp;
        cpu.CurrentOpIndex = 0;
        op.Execute(cpu, ref op);
    }
}
