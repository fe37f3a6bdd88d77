using Translator.Machine;
using Translator.Machine.Cpu;
using Translator.Machine.Devices;
using Translator.Machine.Execution;
using Translator.Machine.Loader;
using Translator.Machine.Memory;
using Translator.Vmm.Backends.Hw;
using Translator.Vmm.Devices;

namespace Translator.Vmm.Backends.Deprivileged;

/// <summary>
/// The VMM of the two software techniques (<c>trap</c> and <c>bt</c>): VMware-style ring compression. The guest
/// kernel (virtual CPL 0) really runs at CPL 1 and its user code at CPL 3; the VMM owns the real GDT (the guest's
/// descriptors with DPL 0 turned into DPL 1), the real IDT and task state, CR0/CR3/CR4 (the processor walks shadow
/// page tables) and the devices. It keeps the guest's view of all of them as virtual state: CPL, IF, IOPL,
/// CR0/CR2/CR3/CR4, GDTR/IDTR/LDTR/TR. Every exception and interrupt reaches the VMM first (the processor's event
/// interception), which handles it (a privileged instruction that trapped, a hidden page fault) or reflects it into
/// the guest's own IDT as bare metal would deliver it.
/// <para>
/// The guest cannot reach what is not its own: its memory is mapped only through shadow tables that point at guest
/// RAM, the VMM's tables are read by host-physical address beyond guest RAM, and with IOPL 0 and no I/O bitmap every
/// port access at CPL 1 or 3 traps (or is a callout), emulated against the VMM's <see cref="VirtualPlatform"/>.
/// </para>
/// </summary>
public abstract partial class DeprivilegedMonitor : IExecutionBackend
{
    /// <summary>Host memory past guest RAM for the VMM: the shadow page pool (a directory and up to 1024 tables), then the GDT and IDT.</summary>
    private const int VmmReserveMiB = 5;

    /// <summary>Guest address spaces whose traced shadow is kept across CR3 switches.</summary>
    private const int ShadowContexts = 8;

    private const int ShadowPoolFrames = ShadowContexts + 1024;

    /// <summary>Hidden page faults in a row without a retired guest instruction before the VMM gives up on the guest.</summary>
    private const int MaxHiddenFaultsWithoutProgress = 1_000_000;

    private readonly VmOptions _options;
    private readonly PhysicalMemory _hostMemory;
    private readonly X86Cpu _cpu;
    private readonly Interpreter _interpreter;
    private readonly VirtualPlatform _platform;
    private readonly HaltedCpu _halted;
    private readonly GuestMemory _guest;
    private readonly ShadowPageTables _shadow;
    private readonly GuestInstructionFetcher _fetcher;
    private readonly DeviceAccessEmulator _devices;
    private readonly CompressedGdt _gdt;
    private readonly uint _idtBase;
    private MachineResult? _stopped;

    protected DeprivilegedMonitor(VmOptions options, Action<byte> console)
    {
        _hostMemory = GuestMemory.AllocateHost(options, VmmReserveMiB, "bt/trap");
        _options = options;
        var clock = new VirtualClock();
        _platform = new VirtualPlatform(clock, console, options.MemoryMiB, options.Devices);

        // The processor's port bus is the VMM's device model: with IOPL 0 and no I/O bitmap no guest instruction
        // reaches it directly, only the VMM's emulation at the guest's virtual privilege does.
        _cpu = new X86Cpu(_hostMemory, _platform.Io, clock) { Features = options.CpuFeatures };
        _platform.Board.FloatingPointError.Connect(_cpu); // FERR# to the VMM's IRQ 13, IGNNE# on its port 0xF0
        _interpreter = new Interpreter(_cpu) { CompileThreshold = options.CompileThreshold };
        _interpreter.ConnectTimer(_platform.Timers);
        _interpreter.ConnectInterrupts(new GuestInterruptLine(this));
        _halted = new HaltedCpu(() => _platform.Apic.InterruptRequested, _platform.Timers, clock, () => _cpu.NmiDeliverable);

        // The VMM's APIC raises the guest's NMIs: latched in the processor, taken at a boundary whatever the guest's
        // IF, and reflected through the guest's IDT (vector 2); the guest's IRET, executed by the processor's own
        // semantics whether it traps or not, ends the blocking.
        _platform.Apic.NmiRaised += () => _cpu.NmiPending |= _platform.Apic.TakeNmi();
        uint guestBytes = (uint)options.MemoryMiB << 20;
        _guest = new GuestMemory(_hostMemory, _cpu.Mmu, guestBytes, _platform.Mmio);
        _fetcher = new GuestInstructionFetcher(_guest);
        _devices = new DeviceAccessEmulator(_cpu);

        // The processor's MMIO decoding and APIC MSR are the VMM's device model too: no shadow entry maps a device
        // page, so only the VMM's emulation of a faulting access (through its device window) reaches them.
        _hostMemory.Mmio = _platform.Mmio;
        _cpu.Apic = _platform.Apic;
        _shadow = new ShadowPageTables(_cpu, vmcs: null, _guest, _hostMemory, guestBytes, ShadowPoolFrames, ShadowContexts);
        uint tables = guestBytes + (ShadowPoolFrames << 12);
        _gdt = new CompressedGdt(_hostMemory, tables);
        _idtBase = tables + CompressedGdt.Bytes;
    }

    public abstract string Name { get; }

    public X86Cpu Cpu => _cpu;

    /// <summary>The interpreter that runs the guest (and, under bt, its translated regions).</summary>
    protected Interpreter Interpreter => _interpreter;

    public VirtualPlatform Platform => _platform;

    public ulong GuestInstructions => _cpu.Retired;

    /// <summary>Where the VMM's own tables start in host memory (past guest RAM); tests check the guest never sees it.</summary>
    public uint VmmMemoryBase => _guest.Size;

    /// <summary>
    /// Loads the image as the guest's multiboot firmware would (into memory of exactly the guest's size first, so
    /// it is accepted or rejected as on bare metal), then deprivileges the boot state.
    /// </summary>
    public void Load(ReadOnlySpan<byte> image)
    {
        _platform.Boot(image, _options.MemoryMiB, _cpu, _hostMemory, _options.KernelCommandLine);
        Deprivilege();
        OnLoaded();
    }

    /// <summary>The backend's own set-up once the guest is deprivileged (the bt backend installs its callouts).</summary>
    protected virtual void OnLoaded()
    {
    }

    /// <summary>
    /// Takes the boot state over: what the loader left in the processor becomes the guest's virtual state, and the
    /// processor is switched to the VMM's tables, shadow paging, IF = 1, IOPL 0, CPL 1.
    /// </summary>
    private void Deprivilege()
    {
        X86Cpu c = _cpu;
        _virtual = VirtualState.Capture(c);
        _shadow.Configure();
        c.IdtBase = _idtBase;
        c.IdtLimit = 0x7FF;
        c.LdtSelector = 0;
        c.LdtBase = 0;
        c.LdtLimit = 0;
        c.TaskRegister = 0;
        c.TssBase = 0;
        c.TssLimit = 0;
        c.FlagBits = (c.FlagBits & ~(uint)EFlags.IOPL) | (uint)EFlags.IF;
        c.InstallEventInterceptor(this, systemTablesPhysical: true);
        InstallTaskSwitchHooks();
        c.Monitor = this;
        RebuildGdt();
        CompressPrivilege(c);
    }

    public MachineResult Run() => Run(_options.MaxInstructions);

    public MachineResult Run(ulong untilRetired) =>
        MachineResult.CatchingCrashes(() => RunLoop(Math.Min(untilRetired, _options.MaxInstructions)), () => _cpu.Eip);

    private MachineResult RunLoop(ulong untilRetired)
    {
        while (true)
        {
            if (_platform.StopVerdict(_stopped, _cpu, untilRetired) is { } verdict)
            {
                return verdict;
            }

            if (_interpreter.Run(untilRetired) == ExecutionStop.Halted)
            {
                // The guest's HLT (emulated at its virtual CPL 0): idle as bare metal would, on its virtual IF.
                _stopped = _halted.WaitForInterrupt(GuestInterruptsEnabled, _cpu.Eip);
            }
        }
    }

    /// <summary>The guest's IF: virtual while its kernel runs (the real IF stays 1 at CPL 1), its own at CPL 3.</summary>
    public bool GuestInterruptsEnabled => _cpu.Cpl == 3 ? _cpu.IF : _virtual.InterruptsEnabled;

    /// <summary>The guest's privilege level as it believes it to be.</summary>
    public int GuestCpl => _cpu.Cpl == 3 ? 3 : 0;

    /// <summary>Stops the run with a crash verdict from inside the guest's execution (a hostile or broken guest).</summary>
    private void Stop(string why)
    {
        _stopped ??= MachineResult.Crashed(why);
        _interpreter.RequestStop();
    }

    /// <summary>The processor's INTR line as the VMM drives it: a device interrupt is offered only when the guest's IF allows.</summary>
    private sealed class GuestInterruptLine(DeprivilegedMonitor vmm) : IInterruptSource
    {
        public bool InterruptRequested => vmm._platform.Apic.InterruptRequested && vmm.GuestInterruptsEnabled;

        public byte Acknowledge(out int irq) => vmm._platform.Apic.Acknowledge(out irq);
    }

    // ---- statistics -----------------------------------------------------------------------------------------------

    public virtual void CollectEvents(IDictionary<string, long> events)
    {
        VmStatistics.AddCpuCounters(events, _cpu, _platform.Io.Accesses);
        AddCounts(events, "trap.", _trapped);
        events["vmm.reflections"] = _reflections;
        events["vmm.systemCalls"] = _reflectedSystemCalls;
        events["shadow.hiddenFaults"] = _shadow.HiddenFaults;
        events["shadow.fills"] = _shadow.Fills;
        events["shadow.flushes"] = _shadow.Flushes;
        events["shadow.invlpg"] = _shadow.InvlpgDrops;
        events["shadow.traceHits"] = _shadow.TraceHits;
        events["vmm.interventions"] = Interventions;
        events["shadow.contextReuses"] = _shadow.ContextReuses;
        _devices.CollectEvents(events);
    }

    /// <summary>Adds the non-zero per-instruction counters of <paramref name="byCode"/> under <paramref name="prefix"/>.</summary>
    protected static void AddCounts(IDictionary<string, long> events, string prefix, long[] byCode)
    {
        for (int code = 0; code < byCode.Length; code++)
        {
            if (byCode[code] > 0)
            {
                string name = prefix + SensitiveInstructions.CounterName((Iced.Intel.Code)code);
                events[name] = events.TryGetValue(name, out long sum) ? sum + byCode[code] : byCode[code];
            }
        }
    }

    /// <summary>
    /// Modeled cycles (docs/cost-model.md): guest instructions and deliveries as on bare metal, plus the VMM's work:
    /// every trap into the VMM (a trapped privileged instruction, a hidden page fault) at the cost of a native trap,
    /// every event reflected into the guest's IDT beyond its native delivery (system calls at their own price),
    /// callouts at the callout cost, the shadow's fills and flushes, and the device model.
    /// </summary>
    public CycleAccount ModelCycles(CostParameters cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        long traps = _trapped.Sum() + _shadow.HiddenFaults;
        ulong vmmWork = (ulong)traps * cost.BtTrap
            + (ulong)_reflections * cost.BtReflection
            + (ulong)_reflectedSystemCalls * cost.BtSyscall
            + (ulong)CalloutCount * cost.BtCallout
            + (ulong)_shadow.Fills * cost.ShadowFill
            + (ulong)_shadow.Flushes * cost.ShadowFlush
            + (ulong)_platform.Io.Accesses * cost.IoEmulation;
        return new CycleAccount(
            Instructions: _cpu.Retired * cost.Instruction,
            Deliveries: VmStatistics.Deliveries(_cpu) * cost.InterruptDelivery,
            Exits: 0,
            VmmWork: vmmWork,
            NestedWalks: 0,
            BinaryTranslationEstimate: null);
    }

    /// <summary>
    /// Every entry into the VMM: callouts, trapped instructions, hidden page faults, events reflected into the guest.
    /// What is left of the guest's instructions ran directly, without the VMM (Popek and Goldberg's efficiency).
    /// </summary>
    public long Interventions => CalloutCount + _trapped.Sum() + _shadow.HiddenFaults + _reflections + _reflectedSystemCalls;

    /// <summary>Callouts made (bt); 0 for trap-and-emulate.</summary>
    protected virtual long CalloutCount => 0;
}
