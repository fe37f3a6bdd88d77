using Translator.Machine;
using Translator.Machine.Cpu;
using Translator.Machine.Devices;
using Translator.Machine.Execution;
using Translator.Machine.Loader;
using Translator.Machine.Memory;
using Translator.Vmm.Backends.Bt;
using Translator.Vmm.Devices;

namespace Translator.Vmm.Backends.Hw;

/// <summary>
/// Hardware-assisted virtualization (<c>hw</c>), the KVM-on-VT-x model: the unmodified guest runs on an emulated
/// processor in VMX non-root mode, and this VMM only sees VM exits. It owns the guest's devices (the guest's port
/// I/O exits and is emulated against <see cref="VirtualPlatform"/>), injects their interrupts through the VM-entry
/// interruption-information field (with interrupt-window exiting while the guest cannot take them), turns the host
/// timer into external-interrupt exits, and virtualizes memory with EPT or shadow page tables. With
/// <c>--execution translated</c> hot guest code runs as the binary-translation core's code, whose sensitive
/// instructions run the processor's own handlers, which apply VMX non-root rules and record the exits.
/// </summary>
public sealed partial class HardwareAssistedBackend : IExecutionBackend, ITranslatingBackend
{
    /// <summary>Host memory past guest RAM for the VMM's own structures: a shadow directory and up to 1024 tables.</summary>
    private const int VmmReserveMiB = 5;

    /// <summary>Wake-ups from HLT that raise no interrupt before the guest is considered halted for good (as on bare metal).</summary>

    /// <summary>VM exits in a row without a retired guest instruction before the VMM gives up on the guest.</summary>
    private const int MaxExitsWithoutProgress = 1_000_000;

    private readonly VmOptions _options;
    private readonly PhysicalMemory _hostMemory;
    private readonly IoBus _hostIo = new();
    private readonly X86Cpu _cpu;
    private readonly Interpreter _interpreter;
    private readonly VirtualPlatform _platform;
    private readonly HaltedCpu _halted;
    private readonly Vmcs _vmcs = new();
    private readonly GuestMemory _guest;
    private readonly ShadowPageTables? _shadow;
    private readonly NestedPaging? _nested;
    private readonly GuestInstructionFetcher _fetcher;
    private readonly DeviceAccessEmulator _devices;
    private readonly long[] _exitCounts = new long[64];
    private long _ioEmulated;
    private MachineResult? _stopped;
    private AttachedTranslation? _translated;

    public HardwareAssistedBackend(VmOptions options, Action<byte> console)
    {
        _hostMemory = GuestMemory.AllocateHost(options, VmmReserveMiB, "hw");
        _options = options;
        var clock = new VirtualClock();
        _cpu = new X86Cpu(_hostMemory, _hostIo, clock) { Features = options.CpuFeatures };
        _interpreter = new Interpreter(_cpu) { CompileThreshold = options.CompileThreshold };
        _interpreter.ConnectTimer(new HostTimer(this));
        _platform = new VirtualPlatform(clock, console, options.MemoryMiB, options.Devices);
        _platform.Board.FloatingPointError.Connect(_cpu, _cpu.PostHostInterrupt); // FERR# to the VMM's IRQ 13 (an external-interrupt exit), IGNNE# on its port 0xF0
        _halted = new HaltedCpu(() => _platform.Apic.InterruptRequested, _platform.Timers, clock, () => _platform.Apic.NmiPending && !_cpu.GuestNmiBlocked);
        uint guestBytes = (uint)options.MemoryMiB << 20;
        _guest = new GuestMemory(_hostMemory, _cpu.Mmu, guestBytes, _platform.Mmio);
        _fetcher = new GuestInstructionFetcher(_guest);
        _devices = new DeviceAccessEmulator(_cpu);

        // The host memory's MMIO decoding is the VMM's device model; neither EPT nor a shadow entry ever maps a
        // device page, so only the VMM's emulation of an exiting access (its device window) reaches it.
        _hostMemory.Mmio = _platform.Mmio;
        if (options.Paging == MemoryVirtualization.ShadowPaging)
        {
            _shadow = new ShadowPageTables(_cpu, _vmcs, _guest, _hostMemory, guestBytes, (VmmReserveMiB << 20) / 4096);
        }
        else
        {
            _nested = new NestedPaging(_vmcs, _guest);
        }

        InstallTaskSwitchHooks();
    }

    public string Name => "hw";

    /// <summary>The translated code the interpreter runs; nothing is attached on the interpreter path.</summary>
    public AttachedTranslation Translated => _translated ??= new AttachedTranslation(_interpreter);

    public X86Cpu Cpu => _cpu;

    public Vmcs Vmcs => _vmcs;

    public VirtualPlatform Platform => _platform;

    public ulong GuestInstructions => _cpu.Retired;

    /// <summary>VM exits of one basic reason so far.</summary>
    public long ExitCount(VmExitReason reason) => _exitCounts[(int)reason];

    /// <summary>
    /// Loads the image into guest memory as a multiboot loader (the VMM is the guest's firmware), then sets up
    /// the VMCS and enters VMX non-root mode. The image is first loaded into memory of exactly the guest's size, so
    /// it is accepted or rejected as on bare metal and the boot information reports the guest's RAM, not the host's.
    /// </summary>
    public void Load(ReadOnlySpan<byte> image)
    {
        _platform.Boot(image, _options.MemoryMiB, _cpu, _hostMemory, _options.KernelCommandLine);
        ConfigureVmcs();
    }

    /// <summary>
    /// The execution controls, as KVM sets them: external interrupts and HLT exit, the TSC is offset instead of
    /// trapped, every port exits except the POST port 0x80 (whose writes are I/O delays: passed to the host bus,
    /// where nothing answers), only the TSC and APIC-base MSRs are intercepted. The memory mode adds its own controls.
    /// </summary>
    private void ConfigureVmcs()
    {
        _vmcs.PinBased = PinBasedControls.ExternalInterruptExiting | PinBasedControls.NmiExiting | PinBasedControls.VirtualNmis;
        _vmcs.Primary = ProcessorControls.HltExiting | ProcessorControls.UseTscOffsetting
            | ProcessorControls.UseIoBitmaps | ProcessorControls.UseMsrBitmaps;
        Array.Fill(_vmcs.IoBitmapA, (byte)0xFF);
        Array.Fill(_vmcs.IoBitmapB, (byte)0xFF);
        _vmcs.InterceptPort(0x80, exit: false);
        _vmcs.InterceptMsr(0x10, read: true, write: true);
        _vmcs.InterceptMsr(LocalApic.BaseMsrIndex, read: true, write: true);
        _vmcs.TscOffset = 0;
        if (_shadow is not null)
        {
            _cpu.AttachVmcs(_vmcs);
            _shadow.Configure();
        }
        else
        {
            _nested!.Configure();
            _cpu.AttachVmcs(_vmcs);
        }
    }

    public MachineResult Run() => Run(_options.MaxInstructions);

    public MachineResult Run(ulong untilRetired) =>
        MachineResult.CatchingCrashes(() => RunCountingTripleFaults(Math.Min(untilRetired, _options.MaxInstructions)), () => _cpu.Eip);

    /// <summary>A triple fault in VMX non-root mode is a VM exit (reason 2) before it is the end of the run.</summary>
    private MachineResult RunCountingTripleFaults(ulong untilRetired)
    {
        try
        {
            return RunLoop(untilRetired);
        }
        catch (TripleFaultException)
        {
            _exitCounts[(int)VmExitReason.TripleFault]++;
            throw;
        }
    }

    private MachineResult RunLoop(ulong untilRetired)
    {
        ulong progressMark = ulong.MaxValue;
        int exitsWithoutProgress = 0;
        while (true)
        {
            if (_platform.StopVerdict(_stopped, _cpu, untilRetired) is { } verdict)
            {
                return verdict;
            }

            PrepareEntry();
            ExecutionStop stop = _cpu.RunGuest(_interpreter, untilRetired);
            if (stop == ExecutionStop.Halted)
            {
                // HLT without HLT exiting: the processor waits in the guest's activity state until an event.
                WaitForInterrupt();
                continue;
            }

            if (stop != ExecutionStop.VmExit)
            {
                continue;
            }

            exitsWithoutProgress = _cpu.Retired == progressMark ? exitsWithoutProgress + 1 : 0;
            progressMark = _cpu.Retired;
            if (exitsWithoutProgress > MaxExitsWithoutProgress)
            {
                return new MachineResult(MachineStopReason.Crashed, 0,
                    $"VMM: {MaxExitsWithoutProgress} VM exits ({_vmcs.ExitReason}) without a retired guest instruction at EIP 0x{_cpu.Eip:X8}");
            }

            HandleExit();
        }
    }

    /// <summary>
    /// Before VM entry: a pending device interrupt is injected when the guest can take it (IF = 1, no STI/MOV SS
    /// blocking, no other event being injected); otherwise interrupt-window exiting asks the CPU to exit as soon
    /// as it can. The virtual APIC (and through LINT0 the PIC) is acknowledged only when the vector is really
    /// injected, as the INTA cycle would be. An NMI of the virtual APIC comes first, whatever the guest's IF: it is
    /// injected when the guest has no (virtual-)NMI blocking and no STI/MOV SS blocking, else NMI-window exiting
    /// waits for the guest's IRET (KVM's order and rules).
    /// </summary>
    private void PrepareEntry()
    {
        LocalApic apic = _platform.Apic;
        if (apic.NmiPending && !_vmcs.EntryInterruptionInfo.Valid && !_cpu.GuestNmiBlocked && !_cpu.GuestInterruptShadow)
        {
            apic.TakeNmi();
            _vmcs.EntryInterruptionInfo = InterruptionInfo.Create((int)ExceptionVector.Nmi, InterruptionType.Nmi, deliverErrorCode: false);
        }

        if (apic.NmiPending)
        {
            _vmcs.Primary |= ProcessorControls.NmiWindowExiting;
        }
        else
        {
            _vmcs.Primary &= ~ProcessorControls.NmiWindowExiting;
        }

        bool requested = apic.InterruptRequested;
        if (requested && !_vmcs.EntryInterruptionInfo.Valid && _cpu.GuestInterruptsEnabled && !_cpu.GuestInterruptShadow)
        {
            byte vector = apic.Acknowledge(out int irq);
            if (irq >= 0)
            {
                _cpu.Counters.Irqs[irq]++;
            }

            _vmcs.EntryInterruptionInfo = InterruptionInfo.Create(vector, InterruptionType.ExternalInterrupt, deliverErrorCode: false);
            requested = apic.InterruptRequested;
        }

        if (requested)
        {
            _vmcs.Primary |= ProcessorControls.InterruptWindowExiting;
        }
        else
        {
            _vmcs.Primary &= ~ProcessorControls.InterruptWindowExiting;
        }
    }

    /// <summary>
    /// The guest halted with HLT: idle until a device interrupt is requested, jumping virtual time to the next
    /// timer event, exactly as bare metal idles (same limits, same messages).
    /// </summary>
    private void WaitForInterrupt() => _stopped = _halted.WaitForInterrupt(_cpu.GuestInterruptsEnabled, _cpu.Eip);

    /// <summary>The host's timer: armed at the virtual PIT's or APIC timer's next deadline; when it fires the guest takes an external-interrupt exit.</summary>
    private sealed class HostTimer(HardwareAssistedBackend vmm) : ITimedDevice
    {
        public ulong NextDeadline => vmm._platform.Timers.NextDeadline;

        public void Advance(ulong now) => vmm._cpu.PostHostInterrupt();
    }

    // ---- statistics -----------------------------------------------------------------------------------------------

    public void CollectEvents(IDictionary<string, long> events)
    {
        VmStatistics.AddCpuCounters(events, _cpu, _platform.Io.Accesses + _hostIo.Accesses);
        foreach (VmExitReason reason in Enum.GetValues<VmExitReason>())
        {
            if (_exitCounts[(int)reason] > 0)
            {
                events[$"exit.{ExitName(reason)}"] = _exitCounts[(int)reason];
            }
        }

        if (_shadow is not null)
        {
            events["shadow.hiddenFaults"] = _shadow.HiddenFaults;
            events["shadow.fills"] = _shadow.Fills;
            events["shadow.flushes"] = _shadow.Flushes;
            events["shadow.invlpg"] = _shadow.InvlpgDrops;
        }

        if (_nested is not null)
        {
            events["ept.pagesMapped"] = _nested.Table.MappedPages;
        }

        _devices.CollectEvents(events);
        if (_options.Execution != ExecutionTier.Interpreter)
        {
            Translated.CollectEvents(events, _cpu);
        }
    }

    public CycleAccount ModelCycles(CostParameters cost)
    {
        long exits = _exitCounts.Sum();
        long pageFaultExits = _exitCounts[(int)VmExitReason.ExceptionOrNmi];
        long timerExits = _exitCounts[(int)VmExitReason.ExternalInterrupt] + _exitCounts[(int)VmExitReason.InterruptWindow];
        ulong vmmWork = (ulong)_ioEmulated * cost.IoEmulation
            + (ulong)(_shadow is null ? 0 : pageFaultExits) * cost.ShadowFill
            + (ulong)(_shadow?.Flushes ?? 0) * cost.ShadowFlush
            + (ulong)(_nested?.Violations ?? 0) * cost.EptFill;
        ulong instructions = _cpu.Retired * cost.Instruction;
        ulong deliveries = VmStatistics.Deliveries(_cpu) * cost.InterruptDelivery;
        ulong nestedWalks = _nested is null ? 0 : (ulong)_cpu.Mmu.PageWalks * cost.NestedWalk;

        // Binary translation meets the same guest events without VT-x: privileged instructions become callouts,
        // page faults and the timer are ordinary traps into the VMM, and there is no interrupt window to wait for.
        // What it loses is the guest's own kernel entries: system calls and exceptions cross the VMM, which
        // runs the deprivileged guest kernel's IDT in software. (Only meaningful next to shadow paging, which a
        // binary-translating VMM needs too; under EPT the event counts are not the ones BT would see.)
        ulong? bt = null;
        if (_shadow is not null)
        {
            long callouts = exits - pageFaultExits - timerExits - _exitCounts[(int)VmExitReason.TripleFault];
            ulong softwareInterrupts = (ulong)_cpu.Counters.SoftwareInterrupts;
            bt = instructions + deliveries + vmmWork
                + (ulong)callouts * cost.BtCallout
                + (ulong)(pageFaultExits + _exitCounts[(int)VmExitReason.ExternalInterrupt]) * cost.BtTrap
                + softwareInterrupts * cost.BtSyscall
                + (VmStatistics.Deliveries(_cpu) - softwareInterrupts) * cost.BtReflection;
        }

        return new CycleAccount(instructions, deliveries, (ulong)exits * cost.VmExit, vmmWork, nestedWalks, bt);
    }

    /// <summary>The counter name of an exit reason: the SDM's name in the upper-case style of Linux and <c>perf kvm stat</c>.</summary>
    public static string ExitName(VmExitReason reason) => reason switch
    {
        VmExitReason.ExceptionOrNmi => "EXCEPTION_NMI",
        VmExitReason.ExternalInterrupt => "EXTERNAL_INTERRUPT",
        VmExitReason.TripleFault => "TRIPLE_FAULT",
        VmExitReason.InterruptWindow => "INTERRUPT_WINDOW",
        VmExitReason.NmiWindow => "NMI_WINDOW",
        VmExitReason.TaskSwitch => "TASK_SWITCH",
        VmExitReason.Cpuid => "CPUID",
        VmExitReason.Hlt => "HLT",
        VmExitReason.Invlpg => "INVLPG",
        VmExitReason.Rdtsc => "RDTSC",
        VmExitReason.Vmcall => "VMCALL",
        VmExitReason.CrAccess => "CR_ACCESS",
        VmExitReason.IoInstruction => "IO_INSTRUCTION",
        VmExitReason.Rdmsr => "RDMSR",
        VmExitReason.Wrmsr => "WRMSR",
        VmExitReason.EptViolation => "EPT_VIOLATION",
        _ => ((int)reason).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
