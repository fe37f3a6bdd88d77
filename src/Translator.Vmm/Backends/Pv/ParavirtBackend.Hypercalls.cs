using Translator.Machine;
using Translator.Machine.Cpu;
using Translator.Paravirt;
using Translator.Paravirt.Abi;

namespace Translator.Vmm.Backends.Pv;

/// <summary>
/// The hypercall handlers (IHypercalls). The generated dispatcher has already checked every pointer argument's range
/// and fixed up selectors; handlers check what depends on the operation (docs/paravirt-abi.md gives every error).
/// </summary>
public sealed partial class ParavirtBackend
{
    private const uint MaxGuestDescriptorEntries = PvSelectors.FirstReservedEntry;

    private static bool IsSelf(uint domain) => domain == MmuUpdateRequest.DomidSelf;

    int IHypercalls.SetTrapTable(GuestPointer table)
    {
        // Checked whole before anything changes: a bad entry leaves the previous table in force.
        var entries = new List<(byte Vector, TrapEntry Entry)>();
        for (uint i = 0; i < TrapInfo.MaxEntries; i++)
        {
            uint at = table.Address + i * TrapInfo.Bytes;
            if (!IsMapped(at, TrapInfo.Bytes, writable: false))
            {
                return -PvErrno.EFAULT;
            }

            uint low = ReadLinear32(at), address = ReadLinear32(at + 4);
            if (address == 0)
            {
                break;
            }

            ushort cs = (ushort)(low >> 16);
            cs = (cs & 3) == 0 ? (ushort)(cs | 1) : cs;
            if ((cs & 3) != 1 || (cs & 0xFFFC) == 0)
            {
                return -PvErrno.EINVAL; // handlers run in the guest kernel's ring
            }

            entries.Add(((byte)low, new TrapEntry(true, (byte)(low >> 8), cs, address)));
        }

        foreach ((byte vector, TrapEntry entry) in entries)
        {
            if (vector != HypercallNumber.Vector)
            {
                _traps[vector] = entry; // 0x82 stays the VMM's
            }
        }

        InstallSystemCallGate();
        return 0;
    }

    /// <summary>
    /// Xen's direct system-call gate: when the guest's int 0x80 entry has DPL 3 and does not ask for events masked, a
    /// real trap gate (DPL 3, to the guest's ring-1 handler) goes into the VMM's IDT and the processor delivers the
    /// system call itself, through SS1:ESP1, without entering the VMM. The frame is the one a bounce would build: the
    /// real IF is 1 and user mode runs with events enabled, so its IF already says what the guest's mask was.
    /// Any other entry keeps the bounce.
    /// </summary>
    private void InstallSystemCallGate()
    {
        TrapEntry entry = _traps[TrapInfo.SystemCallVector];
        bool direct = entry.Present && (entry.Flags & TrapInfo.FlagDplMask) == 3 && (entry.Flags & TrapInfo.FlagMaskEvents) == 0;
        uint gate = Reserve(BounceIdtOffset) + TrapInfo.SystemCallVector * 8u;
        if (direct)
        {
            WriteTrapGate(gate, entry.Cs, entry.Address);
        }
        else
        {
            _host.Write32(gate, 0); // not present
            _host.Write32(gate + 4, 0);
        }
        _cpu.IdtLimit = (ushort)(direct ? TrapInfo.SystemCallVector * 8 + 7 : 7);
        _cpu.SetDirectSoftwareInterrupt(TrapInfo.SystemCallVector, direct);
    }

    int IHypercalls.MmuUpdate(GuestPointer requests, uint count, GuestPointer done, uint domain)
    {
        if (!IsSelf(domain))
        {
            return -PvErrno.ESRCH;
        }

        int result = 0;
        uint applied = 0;
        for (; applied < count; applied++)
        {
            uint at = requests.Address + applied * MmuUpdateRequest.Bytes;
            uint ptr = ReadLinear32(at), ptrHigh = ReadLinear32(at + 4), value = ReadLinear32(at + 8);
            if ((ptr & 3) != MmuUpdateRequest.NormalPtUpdate)
            {
                result = -PvErrno.ENOSYS;
                break;
            }

            result = ptrHigh != 0 || ReadLinear32(at + 12) != 0 ? -PvErrno.EINVAL : _pages.UpdateEntry(ptr & ~3u, value);
            if (result != 0)
            {
                break;
            }

            _mmuUpdateEntries++;
        }

        if (!done.IsNull)
        {
            WriteLinear32(done.Address, applied);
        }

        FlushTlb();
        return result;
    }

    int IHypercalls.SetGdt(GuestPointer table, uint entries)
    {
        if (entries > MaxGuestDescriptorEntries)
        {
            return -PvErrno.EINVAL;
        }

        var descriptors = new ulong[entries];
        for (uint i = 0; i < entries; i++)
        {
            uint low = ReadLinear32(table.Address + i * 8), high = ReadLinear32(table.Address + i * 8 + 4);
            if ((high & 0x8000) == 0 && i > 0 && (low | high) != 0 && (high & 0x1000) == 0)
            {
                return -PvErrno.EINVAL;
            }

            if (i == 0 || (high & 0x8000) == 0)
            {
                descriptors[i] = 0; // the null descriptor, and not-present ones: kept empty
                continue;
            }

            uint dpl = (high >> 13) & 3;
            if ((high & 0x1000) == 0 || dpl == 0 || dpl == 2)
            {
                return -PvErrno.EINVAL; // only code and data of the guest's rings 1 and 3: no system descriptors, no ring 0
            }

            descriptors[i] = ((ulong)(high | 0x100) << 32) | low; // accessed preset: the processor never writes the table
        }

        uint gdt = Reserve(GdtOffset);
        _host.Span(gdt, (int)MaxGuestDescriptorEntries * 8).Clear();
        for (uint i = 0; i < entries; i++)
        {
            _host.Write32(gdt + i * 8, (uint)descriptors[i]);
            _host.Write32(gdt + i * 8 + 4, (uint)(descriptors[i] >> 32));
        }

        return 0;
    }

    int IHypercalls.StackSwitch(uint stackSegment, uint stackPointer)
    {
        if ((stackSegment & 3) != 1)
        {
            return -PvErrno.EINVAL;
        }

        uint tss = Reserve(TssOffset);
        _host.Write32(tss + 12, stackPointer);
        _host.Write32(tss + 16, stackSegment);
        return 0;
    }

    int IHypercalls.SetCallbacks(uint eventSelector, uint eventAddress, uint failsafeSelector, uint failsafeAddress)
    {
        if ((eventSelector & 3) != 1 || (failsafeSelector & 3) != 1)
        {
            return -PvErrno.EINVAL;
        }

        // The failsafe entry is checked but never used: a fault while bouncing ends the domain (docs: departures).
        _callbackCs = (ushort)eventSelector;
        _callbackEip = eventAddress;
        return 0;
    }

    /// <summary>
    /// The guest's lazy FPU switch: sets or clears the processor's CR0.TS (which the guest cannot write at CPL 1), so
    /// its next x87/MMX/SSE instruction takes #NM, bounced to its handler with TS cleared (<see cref="Bounce"/>).
    /// </summary>
    int IHypercalls.FpuTaskswitch(uint set)
    {
        _cpu.Cr0 = set != 0 ? _cpu.Cr0 | X86Cpu.Cr0Ts : _cpu.Cr0 & ~X86Cpu.Cr0Ts;
        return 0;
    }

    int IHypercalls.Multicall(GuestPointer calls, uint count)
    {
        MulticallContext entry = _multicallEntry; // one at a time: a multicall inside a multicall is refused
        for (uint i = 0; i < count; i++)
        {
            entry.Base = calls.Address + i * MulticallEntry.Bytes;
            uint op = ReadLinear32(entry.Base + MulticallEntry.Op);
            int result;
            if (op is HypercallNumber.Multicall or HypercallNumber.Iret)
            {
                result = -PvErrno.EINVAL;
            }
            else
            {
                if (op < (uint)_hypercalls.Length)
                {
                    _hypercalls[op]++;
                }

                _multicallEntries++;
                result = HypercallDispatcher.Dispatch(this, entry, op);
            }

            WriteLinear32(entry.Base + MulticallEntry.Result, (uint)result);
            if (_stopped is not null)
            {
                break;
            }
        }

        return 0;
    }

    /// <summary>One multicall entry's arguments in place of the registers.</summary>
    private sealed class MulticallContext(ParavirtBackend vmm) : IHypercallContext
    {
        public uint Base;

        public uint Argument(int index) => vmm.ReadLinear32(Base + MulticallEntry.Args + (uint)index * 4);

        public bool IsMapped(uint address, uint bytes, bool writable) => vmm.IsMapped(address, bytes, writable);
    }

    int IHypercalls.UpdateVaMapping(uint linear, uint entry, uint flags)
    {
        if (flags > UvmFlags.Invlpg)
        {
            return -PvErrno.EINVAL;
        }

        if (_pages.EntryAddressOf(linear) is not uint address)
        {
            return -PvErrno.EINVAL; // no page table maps that 4 MiB
        }

        int result = _pages.UpdateEntry(address, entry);
        if (result == 0 && flags == UvmFlags.TlbFlush)
        {
            FlushTlb();
        }
        else if (result == 0)
        {
            FlushPage(linear);
        }

        return result;
    }

    int IHypercalls.SetTimerOp(uint timeoutLow, uint timeoutHigh)
    {
        ulong timeout = ((ulong)timeoutHigh << 32) | timeoutLow;
        _timer.OneShot = timeout == 0 ? ulong.MaxValue : Math.Max(timeout, _clock.Now);
        return 0;
    }

    int IHypercalls.XenVersion(uint command, GuestPointer buffer)
    {
        switch (command)
        {
            case XenVersionCommand.Version:
                return 0x0001_0000;
            case XenVersionCommand.ExtraVersion:
                if (buffer.IsNull || !IsMapped(buffer.Address, 16, writable: true))
                {
                    return -PvErrno.EFAULT;
                }

                byte[] text = new byte[16];
                System.Text.Encoding.ASCII.GetBytes("-translator").CopyTo(text, 0);
                for (uint i = 0; i < 16; i += 4)
                {
                    WriteLinear32(buffer.Address + i, BitConverter.ToUInt32(text, (int)i));
                }

                return 0;
            default:
                return -PvErrno.ENOSYS;
        }
    }

    int IHypercalls.ConsoleIo(uint command, uint count, GuestPointer buffer)
    {
        switch (command)
        {
            case ConsoleIoCommand.Write:
                for (uint i = 0; i < count; i++)
                {
                    _console(ReadLinear8(buffer.Address + i));
                }

                return 0;
            case ConsoleIoCommand.Read:
                return 0; // no console input reaches a run
            default:
                return -PvErrno.ENOSYS;
        }
    }

    /// <summary>HYPERVISOR_iret: EAX, EIP, CS, EFLAGS (and ESP, SS to ring 3) from the frame at ESP.</summary>
    int IHypercalls.Iret()
    {
        X86Cpu c = _cpu;
        uint esp = c.GetRegister(X86Cpu.ESP);
        if (!IsMapped(esp, 16, writable: false))
        {
            return -PvErrno.EFAULT;
        }

        uint eax = ReadLinear32(esp + IretFrame.Eax), eip = ReadLinear32(esp + IretFrame.Eip);
        ushort cs = (ushort)ReadLinear32(esp + IretFrame.Cs);
        uint flags = ReadLinear32(esp + IretFrame.Eflags);
        cs = (cs & 3) == 0 ? (ushort)(cs | 1) : cs;
        try
        {
            if ((cs & 3) == 3)
            {
                if (!IsMapped(esp, 24, writable: false))
                {
                    return -PvErrno.EFAULT;
                }

                uint userEsp = ReadLinear32(esp + IretFrame.Esp);
                ushort ss = (ushort)ReadLinear32(esp + IretFrame.Ss);
                Descriptor code = c.CheckReturnCodeSegment(cs);
                Descriptor stack = c.CheckReturnStackSegment(ss, 3);
                c.CommitPrivilegeChange(cs, code, ss, stack, userEsp);
                c.NullInaccessibleDataSegments();
            }
            else if ((cs & 3) == 1)
            {
                Descriptor code = c.CheckReturnCodeSegment(cs);
                c.SetCodeSegmentSamePrivilege(cs, code);
                c.SetRegister(X86Cpu.ESP, esp + 16);
            }
            else
            {
                Stop(MachineResult.Crashed($"PV guest: iret to CS 0x{cs:X4} (RPL 2) at EIP 0x{c.Eip:X8}"));
                return -PvErrno.EINVAL;
            }
        }
        catch (GuestFault fault)
        {
            Stop(MachineResult.Crashed($"PV guest: iret with a bad frame (#{GuestFault.Mnemonic(fault.Vector)}, CS 0x{cs:X4}, EIP 0x{eip:X8})"));
            return -PvErrno.EINVAL;
        }

        const uint Restorable = 0x0000_0DD5 | 0x0004_0000 | 0x0020_0000; // arithmetic flags, TF, DF, AC, ID
        c.FlagBits = (flags & Restorable) | (uint)EFlags.IF | 2;
        _host.Write8(_sharedInfo + SharedInfo.UpcallMask, (flags & (uint)EFlags.IF) != 0 ? (byte)0 : (byte)1);
        c.SetRegister(X86Cpu.EAX, eax);
        c.Eip = eip;
        return 0;
    }

    int IHypercalls.VcpuOp(uint command, uint vcpu, GuestPointer argument)
    {
        if (vcpu != 0)
        {
            return -PvErrno.EINVAL; // one vCPU
        }

        switch (command)
        {
            case VcpuOpCommand.IsUp:
                return 1;
            case VcpuOpCommand.SetPeriodicTimer:
                if (argument.IsNull)
                {
                    return -PvErrno.EFAULT;
                }

                ulong period = ReadLinear32(argument.Address) | ((ulong)ReadLinear32(argument.Address + 4) << 32);
                if (period < VcpuOpCommand.MinimumTimerPeriodNs)
                {
                    return -PvErrno.EINVAL;
                }

                _timer.Period = period;
                _timer.NextPeriodic = _clock.Now + period;
                return 0;
            case VcpuOpCommand.StopPeriodicTimer:
                _timer.NextPeriodic = ulong.MaxValue;
                return 0;
            case VcpuOpCommand.SetSingleshotTimer:
                if (argument.IsNull || !IsMapped(argument.Address, 12, writable: false))
                {
                    return -PvErrno.EFAULT;
                }

                ulong timeout = ReadLinear32(argument.Address) | ((ulong)ReadLinear32(argument.Address + 4) << 32);
                if ((ReadLinear32(argument.Address + 8) & 1) != 0 && timeout <= _clock.Now)
                {
                    return -PvErrno.EINVAL; // VCPU_SSHOTTMR_future with a time already past
                }

                _timer.OneShot = Math.Max(timeout, _clock.Now);
                return 0;
            case VcpuOpCommand.StopSingleshotTimer:
                _timer.OneShot = ulong.MaxValue;
                return 0;
            default:
                return -PvErrno.ENOSYS;
        }
    }

    int IHypercalls.MmuextOp(GuestPointer operations, uint count, GuestPointer done, uint domain)
    {
        if (!IsSelf(domain))
        {
            return -PvErrno.ESRCH;
        }

        int result = 0;
        uint applied = 0;
        for (; applied < count; applied++)
        {
            uint at = operations.Address + applied * MmuextOp.Bytes;
            uint command = ReadLinear32(at + MmuextOp.Cmd), arg1 = ReadLinear32(at + MmuextOp.Arg1), arg2 = ReadLinear32(at + MmuextOp.Arg2);
            _mmuextOperations++;
            result = command switch
            {
                MmuextOp.PinL1Table => _pages.Pin(arg1, FrameType.L1),
                MmuextOp.PinL2Table => _pages.Pin(arg1, FrameType.L2),
                MmuextOp.UnpinTable => _pages.Unpin(arg1),
                MmuextOp.NewBaseptr => NewBase(arg1),
                MmuextOp.TlbFlushLocal or MmuextOp.TlbFlushAll => FlushTlb(),
                MmuextOp.InvlpgLocal or MmuextOp.InvlpgAll => FlushPage(arg1),
                MmuextOp.SetLdt => arg2 == 0 ? 0 : -PvErrno.EINVAL,
                _ => -PvErrno.ENOSYS,
            };
            if (result != 0)
            {
                break;
            }
        }

        if (!done.IsNull)
        {
            WriteLinear32(done.Address, applied);
        }

        return result;
    }

    private int NewBase(uint frame)
    {
        int result = _pages.NewBase(frame);
        if (result == 0)
        {
            _cpu.Cr3 = frame << 12;
            _cpu.SyncMmu();
        }

        return result;
    }

    private int FlushTlb()
    {
        _cpu.SyncMmu();
        return 0;
    }

    private int FlushPage(uint linear)
    {
        _cpu.Mmu.FlushPage(linear);
        _cpu.RaiseTranslationChanged();
        return 0;
    }

    int IHypercalls.SchedOp(uint command, GuestPointer argument)
    {
        switch (command)
        {
            case SchedOpCommand.Yield:
                return 0;
            case SchedOpCommand.Block:
                _host.Write8(_sharedInfo + SharedInfo.UpcallMask, 0);
                if (!UpcallDeliverable)
                {
                    _blocked = true;
                    _interpreter.RequestStop();
                }

                return 0;
            case SchedOpCommand.Shutdown:
                if (argument.IsNull)
                {
                    return -PvErrno.EFAULT;
                }

                uint reason = ReadLinear32(argument.Address);
                switch (reason)
                {
                    case ShutdownReason.Poweroff or ShutdownReason.Reboot:
                        Stop(MachineResult.Halted($"PV guest shut down ({(reason == ShutdownReason.Poweroff ? "poweroff" : "reboot")}) at EIP 0x{_cpu.Eip:X8}"));
                        return 0;
                    case ShutdownReason.Crash:
                        Stop(MachineResult.Crashed($"PV guest reported a crash (SCHEDOP_shutdown, SHUTDOWN_crash) at EIP 0x{_cpu.Eip:X8}"));
                        return 0;
                    default:
                        return -PvErrno.EINVAL;
                }

            default:
                return -PvErrno.ENOSYS;
        }
    }

    int IHypercalls.EventChannelOp(uint command, GuestPointer argument)
    {
        uint port = ReadLinear32(argument.Address);
        switch (command)
        {
            case EventChannelOpCommand.BindVirq:
                if (!IsMapped(argument.Address, 12, writable: true))
                {
                    return -PvErrno.EFAULT;
                }

                uint virq = port, vcpu = ReadLinear32(argument.Address + 4);
                if (virq > Virq.Console || vcpu != 0)
                {
                    return -PvErrno.EINVAL;
                }

                if (Array.IndexOf(_portBinding, BindingVirq + virq) >= 0)
                {
                    return -PvErrno.EBUSY;
                }

                int free = Array.IndexOf(_portBinding, 0u, 1);
                if (free < 0)
                {
                    return -PvErrno.ENOMEM;
                }

                _portBinding[free] = BindingVirq + virq;
                SetBit(SharedInfo.EvtchnMask, free, true);
                SetBit(SharedInfo.EvtchnPending, free, false);
                WriteLinear32(argument.Address + 8, (uint)free);
                return 0;
            case EventChannelOpCommand.Close:
                if (port == 0 || port >= PortCount || _portBinding[port] == 0)
                {
                    return -PvErrno.EINVAL;
                }

                _portBinding[port] = 0;
                SetBit(SharedInfo.EvtchnPending, (int)port, false);
                SetBit(SharedInfo.EvtchnMask, (int)port, true);
                return 0;
            case EventChannelOpCommand.Send:
                if (port == 0 || port >= PortCount || _portBinding[port] == 0)
                {
                    return -PvErrno.EINVAL;
                }

                RaisePort((int)port);
                return 0;
            case EventChannelOpCommand.Unmask:
                if (port == 0 || port >= PortCount)
                {
                    return -PvErrno.EINVAL;
                }

                SetBit(SharedInfo.EvtchnMask, (int)port, false);
                if (GetBit(SharedInfo.EvtchnPending, (int)port))
                {
                    MarkSelector((int)port);
                }

                return 0;
            default:
                return -PvErrno.ENOSYS;
        }
    }

    int IHypercalls.PhysdevOp(uint command, GuestPointer argument)
    {
        uint portAndSize = ReadLinear32(argument.Address + PhysdevOpCommand.Port);
        ushort port = (ushort)portAndSize;
        int size = (int)((portAndSize >> 16) & 0xFF);
        if (command is not (PhysdevOpCommand.PortRead or PhysdevOpCommand.PortWrite))
        {
            return -PvErrno.ENOSYS;
        }

        if (size is not (1 or 2 or 4))
        {
            return -PvErrno.EINVAL;
        }

        if (!_platform.Io.IsClaimed(port, size))
        {
            return -PvErrno.EPERM;
        }

        if (command == PhysdevOpCommand.PortRead)
        {
            WriteLinear32(argument.Address + PhysdevOpCommand.Value, _platform.Io.Read(port, size));
        }
        else
        {
            _platform.Io.Write(port, size, ReadLinear32(argument.Address + PhysdevOpCommand.Value));
            if (_platform.DebugExitValue is not null)
            {
                _interpreter.RequestStop();
            }
        }

        return 0;
    }
}
