using Translator.Machine;
using Translator.Machine.Cpu;
using Translator.Paravirt;
using Translator.Paravirt.Abi;

namespace Translator.Vmm.Backends.Pv;

/// <summary>
/// Events as the processor hands them to the VMM: <c>int 0x82</c> from ring 1 is a hypercall; an upcall is due when
/// an unmasked event is pending; every exception and software interrupt is bounced to the guest's trap table.
/// </summary>
public sealed partial class ParavirtBackend
{
    void IEventInterceptor.Intercept(X86Cpu cpu, in InterceptedEvent e)
    {
        switch (e.Kind)
        {
            case InterceptedEventKind.Software when e.Vector == HypercallNumber.Vector && cpu.Cpl == 1:
                cpu.Eip = e.ReturnEip;
                Hypercall(cpu.GetRegister(X86Cpu.EAX));
                return;
            case InterceptedEventKind.External:
                Upcall();
                return;
            case InterceptedEventKind.Exception when e.Vector == (int)ExceptionVector.PageFault:
                _host.Write32(_sharedInfo + SharedInfo.Cr2, cpu.Cr2);
                Bounce(e);
                return;
            default:
                Bounce(e);
                return;
        }
    }

    /// <summary>
    /// One hypercall on the current registers: what <c>int 0x82</c> does, and what a translated hypercall site calls
    /// directly. EAX gets the result unless the hypercall does not return (iret).
    /// </summary>
    public int Hypercall(uint number)
    {
        if (number < (uint)_hypercalls.Length)
        {
            _hypercalls[number]++;
        }

        int result = HypercallDispatcher.Dispatch(this, this, number);
        if (!HypercallDispatcher.IsNoReturn((int)number) || result < 0)
        {
            _cpu.SetRegister(X86Cpu.EAX, (uint)result);
        }

        return result;
    }

    uint IHypercallContext.Argument(int index) => _cpu.GetRegister(index switch
    {
        0 => X86Cpu.EBX,
        1 => X86Cpu.ECX,
        2 => X86Cpu.EDX,
        3 => X86Cpu.ESI,
        _ => X86Cpu.EDI,
    });

    bool IHypercallContext.IsMapped(uint address, uint bytes, bool writable) => IsMapped(address, bytes, writable);

    private bool IsMapped(uint address, uint bytes, bool writable)
    {
        if (bytes == 0)
        {
            return true;
        }

        if ((ulong)address + bytes > 0x1_0000_0000)
        {
            return false;
        }

        for (ulong page = address & ~0xFFFu; page < (ulong)address + bytes; page += 0x1000)
        {
            if (_pages.Translate((uint)page, writable) is null)
            {
                return false;
            }
        }

        return true;
    }

    // ---- guest memory through the guest's own mappings (every range was checked by IsMapped first) ---------------

    private byte ReadLinear8(uint linear) => _pages.Translate(linear, write: false) is uint p ? _host.Read8(p) : (byte)0;

    private uint ReadLinear32(uint linear)
    {
        if ((linear & 0xFFF) <= 0xFFC && _pages.Translate(linear, write: false) is uint physical)
        {
            return _host.Read32(physical); // within one page: one walk
        }

        uint value = 0;
        for (int i = 3; i >= 0; i--)
        {
            value = (value << 8) | ReadLinear8(linear + (uint)i);
        }

        return value;
    }

    private void WriteLinear32(uint linear, uint value)
    {
        if ((linear & 0xFFF) <= 0xFFC && _pages.Translate(linear, write: true) is uint physical)
        {
            _host.Write32(physical, value);
            return;
        }

        for (int i = 0; i < 4; i++)
        {
            if (_pages.Translate(linear + (uint)i, write: true) is uint p)
            {
                _host.Write8(p, (byte)(value >> (8 * i)));
            }
        }
    }

    // ---- event channels --------------------------------------------------------------------------------------------

    private bool GetBit(int area, int port) => (_host.Read32(_sharedInfo + (uint)area + (uint)(port / 32) * 4) & (1u << (port % 32))) != 0;

    private void SetBit(int area, int port, bool value)
    {
        uint address = _sharedInfo + (uint)area + (uint)(port / 32) * 4;
        uint word = _host.Read32(address);
        _host.Write32(address, value ? word | (1u << (port % 32)) : word & ~(1u << (port % 32)));
    }

    /// <summary>Raises a port: pending bit, then (if unmasked and the selector bit was clear) pending_sel and upcall_pending.</summary>
    private void RaisePort(int port)
    {
        if (GetBit(SharedInfo.EvtchnPending, port))
        {
            return;
        }

        SetBit(SharedInfo.EvtchnPending, port, true);
        if (!GetBit(SharedInfo.EvtchnMask, port))
        {
            MarkSelector(port);
        }
    }

    private void MarkSelector(int port)
    {
        uint selector = _host.Read32(_sharedInfo + SharedInfo.PendingSel);
        _host.Write32(_sharedInfo + SharedInfo.PendingSel, selector | (1u << (port / 32)));
        _host.Write8(_sharedInfo + SharedInfo.UpcallPending, 1);
    }

    private void RaiseVirq(uint virq)
    {
        _virqEvents[virq]++;
        for (int port = 1; port < PortCount; port++)
        {
            if (_portBinding[port] == BindingVirq + virq)
            {
                RaisePort(port);
                return;
            }
        }
    }

    // ---- bounces ---------------------------------------------------------------------------------------------------

    /// <summary>The event callback: entered like an interrupt gate's handler, events masked, the frame's IF = 1.</summary>
    private void Upcall()
    {
        _upcalls++;
        _host.Write32(_sharedInfo + SharedInfo.SystemTime, (uint)_clock.Now);
        _host.Write32(_sharedInfo + SharedInfo.SystemTime + 4, (uint)(_clock.Now >> 32));
        Deliver(new InterceptedEvent(InterceptedEventKind.External, 0, false, 0, _cpu.Eip), _callbackCs, _callbackEip, maskEvents: true);
    }

    /// <summary>
    /// An exception or software interrupt goes to the guest's handler for its vector, with the frame the processor
    /// would push; INT n above the entry's DPL is a #GP(n*8+2), as through a gate of that DPL.
    /// </summary>
    private void Bounce(InterceptedEvent e)
    {
        TrapEntry entry = _traps[e.Vector & 0xFF];
        if (e.Kind == InterceptedEventKind.Software && (!entry.Present || (entry.Flags & TrapInfo.FlagDplMask) < _cpu.Cpl))
        {
            uint errorCode = ((uint)e.Vector << 3) | 2;
            _cpu.Eip = e.ReturnEip - (e.Vector == 3 ? 1u : 2u); // the fault is the INT instruction's (INT3 is one byte, INT n two)
            Bounce(new InterceptedEvent(InterceptedEventKind.Exception, (int)ExceptionVector.GeneralProtection, true, errorCode, _cpu.Eip));
            return;
        }

        if (!entry.Present)
        {
            Stop(MachineResult.Crashed($"PV guest took #{GuestFault.Mnemonic((ExceptionVector)(e.Vector & 31))} (vector {e.Vector}, error 0x{e.ErrorCode:X}) at EIP 0x{_cpu.Eip:X8} with no handler in its trap table"));
            return;
        }

        if (e.Kind == InterceptedEventKind.Exception)
        {
            _cpu.Counters.Exceptions[e.Vector & 31]++;
            if (e.Vector == (int)ExceptionVector.DeviceNotAvailable)
            {
                // Xen's rule: the #NM that a set TS caused clears TS before the guest's handler runs, so the handler
                // restores the FPU state without a CLTS it could not execute at CPL 1.
                _cpu.Cr0 &= ~X86Cpu.Cr0Ts;
            }
        }

        _bounces++;
        Deliver(e, entry.Cs, entry.Address, (entry.Flags & TrapInfo.FlagMaskEvents) != 0);
    }

    /// <summary>A present 32-bit trap gate with DPL 3 (so INT n from any ring passes its check) to <paramref name="cs"/>:<paramref name="address"/>.</summary>
    private void WriteTrapGate(uint gate, ushort cs, uint address)
    {
        _host.Write32(gate, ((uint)cs << 16) | (address & 0xFFFF));
        _host.Write32(gate + 4, (address & 0xFFFF_0000) | 0x8000 | (3u << 13) | 0x0F00);
    }

    /// <summary>
    /// The processor's own delivery through a one-gate table naming the guest's handler (a trap gate: the real IF stays
    /// 1), so the stack switch to SS1:ESP1, the frame and the privilege change are the architecture's. The frame's IF
    /// then says what the guest's event mask was, and an interrupt-gate entry masks events.
    /// </summary>
    private void Deliver(InterceptedEvent e, ushort cs, uint address, bool maskEvents)
    {
        WriteTrapGate(Reserve(BounceIdtOffset), cs, address);
        bool wasMasked = _host.Read8(_sharedInfo + SharedInfo.UpcallMask) != 0;
        try
        {
            _cpu.DeliverThroughIdt(e with { Vector = 0 });
        }
        catch (GuestFault fault)
        {
            Stop(MachineResult.Crashed($"PV guest: #{GuestFault.Mnemonic(fault.Vector)} while the VMM delivered vector {e.Vector} to 0x{cs:X4}:0x{address:X8} (a bad kernel stack or handler)"));
            return;
        }

        uint frameFlags = _cpu.GetRegister(X86Cpu.ESP) + (e.HasErrorCode ? 12u : 8u);
        uint flags = ReadLinear32(frameFlags);
        WriteLinear32(frameFlags, wasMasked ? flags & ~(uint)EFlags.IF : flags | (uint)EFlags.IF);
        if (maskEvents)
        {
            _host.Write8(_sharedInfo + SharedInfo.UpcallMask, 1);
        }
    }
}
