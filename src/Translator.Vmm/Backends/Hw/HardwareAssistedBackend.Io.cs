using Translator.Machine.Cpu;

namespace Translator.Vmm.Backends.Hw;

/// <summary>I/O-instruction exits: the guest's port accesses emulated against the VMM's virtual devices.</summary>
public sealed partial class HardwareAssistedBackend
{
    /// <summary>Elements one execution of a REP string I/O instruction handles before it re-executes (as on bare metal).</summary>
    private const uint StringChunk = 4096;

    /// <summary>Decodes the exit qualification (SDM table 27-5) and performs the access on the virtual platform.</summary>
    private void HandleIo()
    {
        uint q = _vmcs.ExitQualification;
        int size = (int)(q & 7) + 1;
        bool input = (q & 8) != 0, isString = (q & 0x10) != 0, rep = (q & 0x20) != 0;
        ushort port = (ushort)(q >> 16);
        if (isString)
        {
            EmulateStringIo(port, size, input, rep);
            return;
        }

        uint mask = size switch { 1 => 0xFFu, 2 => 0xFFFFu, _ => 0xFFFF_FFFFu };
        uint eax = _cpu.GetRegister(X86Cpu.EAX);
        _ioEmulated++;
        if (input)
        {
            _cpu.SetRegister(X86Cpu.EAX, (eax & ~mask) | (_platform.Io.Read(port, size) & mask));
        }
        else
        {
            _platform.Io.Write(port, size, eax & mask);
        }

        CompleteInstruction();
    }

    /// <summary>
    /// INS/OUTS with or without REP, element by element at the segment's base (ES for INS, the instruction-information
    /// field's segment for OUTS; in virtual-8086 mode selector x 16, each element checked against the 64 KiB limit)
    /// through the guest's own paging (software walk, accessed and
    /// dirty bits set): index registers and the count commit after each element, so a #PF part-way is reflected with
    /// the registers describing the work left and the instruction restarts there. The destination of INS is checked
    /// before the port is read (a device read can have side effects), as the processor does.
    /// </summary>
    private void EmulateStringIo(ushort port, int size, bool input, bool rep)
    {
        bool address16 = ((_vmcs.ExitInstructionInfo >> 7) & 7) == 0;
        uint addressMask = address16 ? 0xFFFFu : 0xFFFF_FFFFu;
        int indexRegister = input ? X86Cpu.EDI : X86Cpu.ESI;
        uint count = rep ? Math.Min(_cpu.GetRegister(X86Cpu.ECX) & addressMask, StringChunk) : 1;
        uint delta = (_cpu.EFlagsValue & 0x400) != 0 ? (uint)-size : (uint)size;
        bool user = _cpu.Cpl == 3;
        GuestPaging paging = _shadow?.Paging ?? _nested!.Paging(_cpu);
        Span<uint> physical = stackalloc uint[4];
        for (; count > 0; count--)
        {
            uint index = _cpu.GetRegister(indexRegister);
            if (!TryStringIoLinear(index & addressMask, size, out uint linear))
            {
                return;
            }

            for (int b = 0; b < size; b++)
            {
                uint byteLinear = linear + (uint)b;
                if (b > 0 && (byteLinear & 0xFFF) != 0)
                {
                    physical[b] = physical[b - 1] + 1;
                    continue;
                }

                GuestTranslation t = GuestPageWalker.Walk(_guest, paging, byteLinear, write: input, user, update: true);
                if (t.Faulted)
                {
                    _cpu.WriteGuestCr2(byteLinear);
                    FaultInstruction(ExceptionVector.PageFault, t.FaultErrorCode);
                    return;
                }

                physical[b] = t.GuestPhysical;
            }

            _ioEmulated++;
            // An element within one page is one access (a device page then sees its size, as from the processor);
            // one straddling two pages is one byte on each side.
            bool onePage = (linear & 0xFFF) + (uint)size <= 0x1000;
            if (input)
            {
                uint value = _platform.Io.Read(port, size);
                if (onePage)
                {
                    _guest.Write(physical[0], size, value);
                }
                else
                {
                    for (int b = 0; b < size; b++)
                    {
                        _guest.Write(physical[b], 1, (byte)(value >> (8 * b)));
                    }
                }
            }
            else
            {
                uint value = onePage ? _guest.Read(physical[0], size) : 0;
                for (int b = 0; !onePage && b < size; b++)
                {
                    value |= _guest.Read(physical[b], 1) << (8 * b);
                }

                _platform.Io.Write(port, size, value);
            }

            _cpu.SetRegister(indexRegister, (index & ~addressMask) | ((index + delta) & addressMask));
            if (rep)
            {
                uint ecx = _cpu.GetRegister(X86Cpu.ECX);
                _cpu.SetRegister(X86Cpu.ECX, (ecx & ~addressMask) | ((ecx - 1) & addressMask));
            }
        }

        if (rep && (_cpu.GetRegister(X86Cpu.ECX) & addressMask) != 0)
        {
            return; // a chunk is done: EIP stays on the instruction, which exits again for the rest
        }

        CompleteInstruction();
    }

    /// <summary>
    /// The linear address of one string I/O element at <paramref name="offset"/>: the exit's segment's base plus the
    /// offset. In virtual-8086 mode an element passing the 64 KiB limit is the instruction's #GP(0) (false).
    /// </summary>
    private bool TryStringIoLinear(uint offset, int size, out uint linear)
    {
        var segment = (SegmentRegister)((_vmcs.ExitInstructionInfo >> 15) & 7);
        linear = _cpu.SegmentBases[(int)segment] + offset;
        if (!_cpu.Virtual8086)
        {
            return true;
        }

        try
        {
            _cpu.CheckVirtual8086Limit(segment, offset, size);
            return true;
        }
        catch (GuestFault fault)
        {
            FaultInstruction(fault.Vector, fault.ErrorCode);
            return false;
        }
    }
}
