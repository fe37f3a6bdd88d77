using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using Translator.Vmm.Backends.Hw;
using Translator.Vmm.Devices;

namespace Translator.Vmm.Backends.Deprivileged;

/// <summary>
/// Every exception and interrupt of the deprivileged guest, as the processor hands it to the VMM: hidden page
/// faults are resolved in the shadow page tables, a #GP raised by a privileged instruction at CPL 1 is emulated
/// (trap-and-emulate), and everything else is reflected into the guest's virtual IDT.
/// </summary>
public abstract partial class DeprivilegedMonitor : IEventInterceptor
{
    /// <summary>Hidden faults one delivery may resolve before the VMM gives up on it (each fixes one page for good).</summary>
    private const int MaxHiddenFaultsPerDelivery = 16;

    /// <summary>Instructions the VMM emulated after they trapped, by Iced code.</summary>
    private readonly long[] _trapped = new long[Enum.GetValues<Code>().Length];
    private long _reflections;
    private bool _emulatingDevice;
    private long _reflectedSystemCalls;
    private ulong _progressMark = ulong.MaxValue;
    private int _hiddenWithoutProgress;

    void IEventInterceptor.Intercept(X86Cpu cpu, in InterceptedEvent e)
    {
        if (e.Kind == InterceptedEventKind.Exception)
        {
            if (e.Vector == (int)ExceptionVector.PageFault)
            {
                HandlePageFault(e);
                return;
            }

            // Raised in the view (a task switch's new task faulting after the commit point): the guest's own fault.
            // At the real CPL, #GP is a privileged instruction and #TS an IRET with NT, whose task is virtual.
            bool trapped = e.Vector is (int)ExceptionVector.GeneralProtection or (int)ExceptionVector.InvalidTss;
            if (!_inView && trapped && TryEmulateTrapped())
            {
                return;
            }
        }

        Reflect(e);
    }

    /// <summary>
    /// A #PF at CPL 1 or 3. Hidden when the guest's own tables allow the access (the shadow had no entry yet): the
    /// shadow is filled and the instruction restarts, unseen and unretired. True otherwise: the guest gets it with
    /// its own error code and CR2.
    /// </summary>
    private void HandlePageFault(in InterceptedEvent e)
    {
        uint linear = _cpu.Cr2;
        if (_shadow.ResolveFault(linear, e.ErrorCode, out uint guestErrorCode, out uint? device))
        {
            CountHiddenFault();
            _cpu.ReblockNmiForRestartedIret(); // an IRET restarted has not unblocked NMIs yet
            _cpu.RestartWithoutRetiring = true;
            return;
        }

        // One emulation per instruction: a device page its two windows do not cover (a third one) is not emulated
        // again but faults, which bounds the VMM's work for a hostile guest.
        if (device is uint guestPhysical && !_emulatingDevice && TryEmulateDeviceAccess(linear, guestPhysical))
        {
            return;
        }

        _virtual.Cr2 = linear;
        Reflect(e with { ErrorCode = guestErrorCode });
    }

    /// <summary>A guest whose page faults never let an instruction retire is stopped, not run forever.</summary>
    private void CountHiddenFault()
    {
        _hiddenWithoutProgress = _cpu.Retired == _progressMark ? _hiddenWithoutProgress + 1 : 0;
        _progressMark = _cpu.Retired;
        if (_hiddenWithoutProgress > MaxHiddenFaultsWithoutProgress)
        {
            Stop($"VMM: {MaxHiddenFaultsWithoutProgress} hidden page faults without a retired guest instruction at EIP 0x{_cpu.Eip:X8}");
        }
    }

    /// <summary>
    /// Trap-and-emulate: the instruction at EIP raised #GP at the real CPL; the VMM executes it again at the guest's
    /// virtual privilege against the virtual state. If it faults there too, that fault is the guest's.
    /// </summary>
    private bool TryEmulateTrapped() => _cpu.Virtual8086 ? TryEmulateVirtual8086() : TryEmulate(device: null);

    /// <summary>
    /// The instruction at EIP touched one of the VMM's device pages (its shadow entry is never present): the VMM
    /// executes it once against the device (see <see cref="DeviceAccessEmulator"/>).
    /// </summary>
    private bool TryEmulateDeviceAccess(uint linear, uint guestPhysical) => TryEmulate((linear, guestPhysical));

    private bool TryEmulate((uint Linear, uint GuestPhysical)? device)
    {
        X86Cpu c = _cpu;
        uint eip = c.Eip;
        if (!TryDecodeGuestInstruction(eip, out Instruction instruction))
        {
            return false;
        }

        bool singleStepping = (c.FlagBits & (uint)EFlags.TF) != 0;
        try
        {
            if (device is { } d)
            {
                _emulatingDevice = true;
                // An instruction the VMM takes over (LTR with its selector on the device page) runs as the VMM runs it
                // when it traps or calls out: at the guest's virtual privilege, not at the real CPL 1.
                _devices.Execute(in instruction, d.Linear, d.GuestPhysical,
                    (l, write, user) => GuestPageWalker.WalkToDevice(_guest, _shadow.Paging, l, write, user),
                    TakesOver(instruction.Code) ? ExecuteVirtually : null);
            }
            else
            {
                DecodedOp op = BlockDecoder.Resolve(in instruction, overrides: null);
                c.Eip = op.NextIp;
                ExecuteVirtually(ref op);
                _trapped[(int)instruction.Code]++;
            }

            if (singleStepping)
            {
                // The single-step trap the instruction would have raised after completing (DR6.BS).
                c.DebugRegisters[6] |= 0x4000;
                Reflect(new InterceptedEvent(InterceptedEventKind.Exception, (int)ExceptionVector.Debug, false, 0, c.Eip));
            }
        }
        catch (GuestFault fault)
        {
            c.Eip = eip;
            var second = new InterceptedEvent(InterceptedEventKind.Exception, (int)fault.Vector, fault.HasErrorCode, fault.ErrorCode, eip);
            if (second.Vector == (int)ExceptionVector.PageFault)
            {
                HandlePageFault(second);
            }
            else
            {
                Reflect(second);
            }
        }
        finally
        {
            _emulatingDevice = false;
        }

        return true;
    }

    /// <summary>The VMM executes this instruction for the guest: bt's callouts, and under both the privileged ones (they trap).</summary>
    private unsafe bool TakesOver(Code code) =>
        SensitiveInstructions.IsPrivileged(code) || _cpu.HandlerOverrides is { } overrides && overrides.For(code) != null;

    /// <summary>Reads the instruction at <paramref name="eip"/> through the guest's own paging (as the processor fetched it).</summary>
    private bool TryDecodeGuestInstruction(uint eip, out Instruction instruction) =>
        _fetcher.TryDecode(_shadow.Paging, eip, _cpu.Cpl == 3, out instruction);

    /// <summary>Delivers <paramref name="e"/> through the guest's virtual IDT, in the virtual view.</summary>
    private void Reflect(InterceptedEvent e)
    {
        bool entered = EnterView();
        try
        {
            DeliverEscalating(e);
        }
        finally
        {
            if (entered)
            {
                ExitView();
            }
        }
    }

    /// <summary>
    /// The processor's own delivery, at the guest's virtual privilege through the guest's IDT, GDT and TSS (so the
    /// frame holds RPL 0 in CS and a ring-3 event switches to the stack the guest's TSS names). A fault during
    /// delivery is resolved when hidden; a true one follows the double-fault rules as on bare metal (a fault during
    /// INT n is the INT instruction's fault; one during an IRQ is delivered after it; a second fault during an
    /// exception is a #DF or replaces it; a fault during #DF is a triple fault).
    /// </summary>
    private void DeliverEscalating(InterceptedEvent e)
    {
        X86Cpu c = _cpu;
        bool counted = false;
        int hidden = 0;
        while (true)
        {
            if (e.Kind == InterceptedEventKind.Exception && !counted)
            {
                c.Counters.Exceptions[e.Vector & 31]++;
                counted = true;
            }

            uint esp = c.GetRegister(X86Cpu.ESP);
            try
            {
                c.DeliverThroughIdt(in e);
                if (e.Kind == InterceptedEventKind.Software)
                {
                    _reflectedSystemCalls++;
                }
                else
                {
                    _reflections++;
                }

                return;
            }
            catch (GuestFault fault)
            {
                var vector = fault.Vector;
                bool hasErrorCode = fault.HasErrorCode;
                uint errorCode = fault.ErrorCode;
                c.SetRegister(X86Cpu.ESP, esp);
                if (vector == ExceptionVector.PageFault)
                {
                    uint linear = c.Cr2;
                    uint guestErrorCode = errorCode;
                    if (hidden++ < MaxHiddenFaultsPerDelivery && _shadow.ResolveFault(linear, errorCode, out guestErrorCode))
                    {
                        continue;
                    }

                    // A fault of INT n is raised again as the instruction's own (and found true again there).
                    errorCode = guestErrorCode;
                    if (e.Kind != InterceptedEventKind.Software)
                    {
                        _virtual.Cr2 = linear;
                    }
                }

                switch (e.Kind)
                {
                    case InterceptedEventKind.Software:
                        throw c.Fault.Set(vector, hasErrorCode, errorCode);
                    case InterceptedEventKind.External:
                        e = new InterceptedEvent(InterceptedEventKind.Exception, (int)vector, hasErrorCode, errorCode, c.Eip);
                        counted = false;
                        continue;
                }

                if (e.Vector == (int)ExceptionVector.DoubleFault)
                {
                    throw c.FaultChain.TripleFault(vector, hasErrorCode, errorCode, c.Eip);
                }

                counted = false;
                c.FaultChain.Add(vector, hasErrorCode, errorCode, c.Eip);
                if (X86Cpu.IsDoubleFaultPair((ExceptionVector)e.Vector, vector))
                {
                    c.Counters.Exceptions[(int)vector]++;
                    c.FaultChain.Add(ExceptionVector.DoubleFault, true, 0, c.Eip);
                    e = new InterceptedEvent(InterceptedEventKind.Exception, (int)ExceptionVector.DoubleFault, true, 0, c.Eip);
                }
                else
                {
                    e = new InterceptedEvent(InterceptedEventKind.Exception, (int)vector, hasErrorCode, errorCode, c.Eip);
                }
            }
        }
    }
}
