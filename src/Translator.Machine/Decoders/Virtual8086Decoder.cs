using Iced.Intel;
using Translator.Machine.Cpu;

namespace Translator.Machine.Decoders;

/// <summary>
/// Fetches and decodes one instruction of v86 code at CS:IP, as 16-bit code, a byte at a time through the MMU
/// with the processor's CPL 3 (so a fetch from a supervisor or absent page faults where it would on hardware,
/// and nothing past the instruction is touched). v86 code is never cached, compiled or translated: it is the
/// small part of a guest that a v86 monitor runs (BIOS calls, DOS programs), and every backend interprets it.
/// </summary>
internal sealed class Virtual8086Decoder
{
    private const int MaxLength = 15;

    private readonly X86Cpu _cpu;
    private readonly Reader _reader;
    private readonly Decoder _decoder;

    public Virtual8086Decoder(X86Cpu cpu)
    {
        _cpu = cpu;
        _reader = new Reader(cpu);
        _decoder = Decoder.Create(16, _reader);
    }

    /// <summary>Decodes the instruction at CS:EIP; an instruction running past CS's 64 KiB limit is #GP(0), one longer than 15 bytes #GP(0).</summary>
    public void Decode(out Instruction instruction)
    {
        _reader.Start(_cpu.SegmentBases[(int)SegmentRegister.CS], _cpu.Eip);
        _decoder.IP = _cpu.Eip;
        _decoder.Decode(out instruction);
        if (_decoder.LastError == DecoderError.NoMoreBytes)
        {
            throw _cpu.GeneralProtection(); // more than 15 bytes of prefixes and opcode
        }
    }

    private sealed class Reader(X86Cpu cpu) : CodeReader
    {
        private uint _base;
        private uint _ip;
        private int _count;

        public void Start(uint @base, uint ip)
        {
            _base = @base;
            _ip = ip;
            _count = 0;
        }

        public override int ReadByte()
        {
            if (_count == MaxLength)
            {
                return -1;
            }

            uint offset = _ip + (uint)_count++;
            if (offset > X86Cpu.Virtual8086Limit)
            {
                throw cpu.GeneralProtection();
            }

            return cpu.Mmu.Read8(_base + offset);
        }
    }
}
