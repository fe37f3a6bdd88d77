using Translator.Machine;
using Translator.Machine.Cpu;
using Translator.Machine.Devices;
using Translator.Machine.Execution;
using Translator.Machine.Memory;
using Translator.Paravirt;
using Translator.Paravirt.Abi;
using Translator.Vmm.Backends.Hw;
using Translator.Vmm.Devices;

namespace Translator.Vmm.Backends.Pv;

/// <summary>
/// Paravirtualization (<c>pv</c>), the Xen way (docs/paravirt-abi.md): the guest was rebuilt against the hypercall
/// interface, its kernel runs in ring 1 and asks the VMM for every privileged operation with <c>int 0x82</c>. Nothing
/// is trapped or translated: the processor walks the guest's own page tables (validated: <see cref="PageTypes"/>),
/// the guest's IF is a byte in the shared-info page, and its interrupts are event-channel upcalls.
/// <para>
/// The VMM owns the real GDT (the guest's descriptors below 0xE000, its own flat segments above), the TSS (SS1:ESP1
/// from stack_switch) and event delivery: every exception reaches it first and is bounced to the handler the guest
/// registered with set_trap_table, by the processor's own delivery through a one-gate table written for the bounce.
/// Those tables live in host memory past guest RAM, read by physical address, where no guest entry can point.
/// </para>
/// </summary>
public sealed partial class ParavirtBackend : IExecutionBackend, IEventInterceptor, IHypercalls, IHypercallContext
{
    private const uint GdtOffset = 0, TssOffset = 0x1_0000, BounceIdtOffset = 0x1_1000;
    private const ushort VmmTaskSelector = 0xE040;
    private const int PortCount = 64;

    private readonly VmOptions _options;
    private readonly Action<byte> _console;
    private readonly PhysicalMemory _host;
    private readonly X86Cpu _cpu;
    private readonly Interpreter _interpreter;
    private readonly VirtualPlatform _platform;
    private readonly VirtualClock _clock;
    private readonly uint _guestBytes;
    private readonly PageTypes _pages;
    private readonly PvTimer _timer;
    private readonly HaltedCpu _halted;
    private readonly MulticallContext _multicallEntry;
    private readonly TrapEntry[] _traps = new TrapEntry[256];
    private readonly uint[] _portBinding = new uint[PortCount];   // 0 unbound, else BindingVirq + virq, or BindingConsole
    private readonly long[] _hypercalls = new long[HypercallNumber.StubCount];
    private readonly long[] _virqEvents = new long[3];
    private MachineResult? _stopped;
    private bool _blocked;
    private uint _sharedInfo;
    private uint _startInfo;
    private ushort _callbackCs;
    private uint _callbackEip;
    private long _bounces, _upcalls, _multicallEntries, _mmuUpdateEntries, _mmuextOperations;

    private const uint BindingVirq = 0x100, BindingConsole = 0x200;

    public ParavirtBackend(VmOptions options, Action<byte> console)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _console = console;
        _host = GuestMemory.AllocateHost(options, 1, "pv");
        _guestBytes = (uint)options.MemoryMiB << 20;
        _clock = new VirtualClock();
        _platform = new VirtualPlatform(_clock, console, options.MemoryMiB, options.Devices);
        _cpu = new X86Cpu(_host, _platform.Io, _clock) { Features = options.CpuFeatures };
        _platform.Board.FloatingPointError.Connect(_cpu); // FERR# to the VMM's IRQ 13, IGNNE# on its port 0xF0
        _interpreter = new Interpreter(_cpu) { CompileThreshold = options.CompileThreshold };
        _timer = new PvTimer(this);
        _interpreter.ConnectTimer(_timer);
        _interpreter.ConnectInterrupts(new UpcallLine(this));
        _halted = new HaltedCpu(() => UpcallDeliverable, _timer, _clock);
        _multicallEntry = new MulticallContext(this);
        _pages = new PageTypes(_host, _guestBytes >> 12);
    }

    public string Name => "pv";

    public X86Cpu Cpu => _cpu;

    public ulong GuestInstructions => _cpu.Retired;

    /// <summary>Where the VMM's own tables start in host memory (past guest RAM).</summary>
    public uint VmmMemoryBase => _guestBytes;

    internal PageTypes Pages => _pages;

    /// <summary>Hypercalls made so far, by number.</summary>
    public long HypercallsOf(int number) => _hypercalls[number];

    private uint Reserve(uint offset) => _guestBytes + offset;

    // ---- the domain builder ----------------------------------------------------------------------------------------

    /// <summary>Builds the domain: loads the PV image, lays out start info, shared info, boot stack and page tables, enters ring 1.</summary>
    public void Load(ReadOnlySpan<byte> image)
    {
        ParavirtImage pv = ParavirtImage.Parse(image, _guestBytes);
        image[..(int)(pv.LoadEnd - pv.LoadAddress)].CopyTo(_host.Span(pv.LoadAddress, (int)(pv.LoadEnd - pv.LoadAddress)));
        _hypercallPage = pv.HypercallPage;
        if (pv.HypercallPage != 0)
        {
            HypercallPage.Build().CopyTo(_host.Span(pv.HypercallPage, 4096));
        }

        uint frames = _guestBytes >> 12;
        uint tables = (frames + 1023) / 1024;
        uint next = (pv.BssEnd + 0xFFF) & ~0xFFFu;
        _startInfo = next;
        _sharedInfo = next + 0x1000;
        uint stackTop = _sharedInfo + 0x1000 + PvBootLayout.BootStackPages * 0x1000u;
        uint directory = stackTop;
        uint firstTable = directory + 0x1000;
        uint firstFree = (firstTable >> 12) + tables;
        BuildBootTables(directory, firstTable, frames, tables);
        FillStartInfo(frames, directory, 1 + tables, firstFree);

        // Every port starts masked; port 1 is the console's.
        for (int port = 0; port < PortCount; port++)
        {
            SetBit(SharedInfo.EvtchnMask, port, true);
        }

        _portBinding[1] = BindingConsole;
        _host.Write8(_sharedInfo + SharedInfo.UpcallMask, 1);
        EnterRing1(pv.Entry, stackTop, directory);
    }

    /// <summary>The directory, then one page table per 4 MiB mapping every guest frame; the tables themselves read-only.</summary>
    private void BuildBootTables(uint directory, uint firstTable, uint frames, uint tables)
    {
        uint tablesEnd = firstTable + tables * 0x1000;
        for (uint t = 0; t < tables; t++)
        {
            uint table = firstTable + t * 0x1000;
            _host.Write32(directory + t * 4, table | PageTypes.Present | PageTypes.Writable | 4);
            for (uint i = 0; i < 1024; i++)
            {
                uint frame = t * 1024 + i;
                if (frame >= frames)
                {
                    break;
                }

                uint address = frame << 12;
                bool pageTable = address >= directory && address < tablesEnd;
                _host.Write32(table + i * 4, address | PageTypes.Present | 4 | (pageTable ? 0 : PageTypes.Writable));
            }
        }

        _pages.AdoptBootTables(directory >> 12, tables);
    }

    private void FillStartInfo(uint frames, uint directory, uint tableFrames, uint firstFree)
    {
        byte[] magic = System.Text.Encoding.ASCII.GetBytes(StartInfo.MagicText);
        magic.CopyTo(_host.Span(_startInfo + StartInfo.Magic, magic.Length));
        _host.Write32(_startInfo + StartInfo.NrPages, frames);
        _host.Write32(_startInfo + StartInfo.SharedInfo, _sharedInfo);
        _host.Write32(_startInfo + StartInfo.ConsoleEvtchn, 1);
        _host.Write32(_startInfo + StartInfo.PtBase, directory);
        _host.Write32(_startInfo + StartInfo.NrPtFrames, tableFrames);
        _host.Write32(_startInfo + StartInfo.FirstFreePfn, firstFree);
        if (_options.KernelCommandLine is { } commandLine)
        {
            byte[] text = System.Text.Encoding.UTF8.GetBytes(commandLine);
            if (text.Length >= StartInfo.CmdLineBytes || commandLine.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"the PV start info holds a command line of at most {StartInfo.CmdLineBytes - 1} bytes without NUL characters");
            }

            text.CopyTo(_host.Span(_startInfo + StartInfo.CmdLine, text.Length)); // the rest of start info is zero: NUL-terminated
        }
    }

    /// <summary>The entry state of docs/paravirt-abi.md: CPL 1 on the VMM's flat ring-1 segments, paging on, events masked.</summary>
    private void EnterRing1(uint entry, uint stackTop, uint directory)
    {
        X86Cpu c = _cpu;
        c.Reset();
        uint gdt = Reserve(GdtOffset);
        WriteFlat(gdt + PvSelectors.HypervisorCode, code: true, dpl: 0);
        WriteFlat(gdt + 0xE010, code: false, dpl: 0);
        WriteFlat(gdt + (PvSelectors.Ring1Code & ~3u), code: true, dpl: 1);
        WriteFlat(gdt + (PvSelectors.Ring1Data & ~3u), code: false, dpl: 1);
        WriteFlat(gdt + (PvSelectors.Ring3Code & ~3u), code: true, dpl: 3);
        WriteFlat(gdt + (PvSelectors.Ring3Data & ~3u), code: false, dpl: 3);
        c.GdtBase = gdt;
        c.GdtLimit = 0xFFFF;
        c.IdtBase = Reserve(BounceIdtOffset);
        c.IdtLimit = 7;
        c.TaskRegister = VmmTaskSelector;
        c.TssBase = Reserve(TssOffset);
        c.TssLimit = 103;
        c.LdtSelector = 0;
        c.InstallEventInterceptor(this, systemTablesPhysical: true);
        c.Monitor = this;
        c.HypercallGate = this; // translated hypercall sites call the VMM directly (the fast path)

        // PG, WP, ET, PE; with an FPU also MP and NE (#NM on WAIT under TS, #MF rather than FERR#), as Xen starts a PV
        // vCPU. The guest cannot write CR0 or CR4 (#GP at CPL 1), so the VMM sets OSFXSR/OSXMMEXCPT for it where the
        // processor has FXSR/SSE: the guest's kernel saves the state with FXSAVE and gets SSE exceptions as #XM.
        bool fpu = (_options.CpuFeatures & CpuFeatures.Fpu) != 0;
        c.Cr0 = 0x8001_0011 | (fpu ? X86Cpu.Cr0Mp | X86Cpu.Cr0Ne : 0);
        c.Cr4 = c.Cr4FeatureBits;
        c.Cr3 = directory;
        c.SyncMmu();
        c.SetCpl(1);
        c.SetCodeSegmentSamePrivilege(PvSelectors.Ring1Code, c.ReadDescriptor(PvSelectors.Ring1Code));
        foreach (SegmentRegister s in new[] { SegmentRegister.SS, SegmentRegister.DS, SegmentRegister.ES, SegmentRegister.FS, SegmentRegister.GS })
        {
            c.LoadSegment(s, PvSelectors.Ring1Data);
        }

        for (int r = 0; r < 8; r++)
        {
            c.SetRegister(r, 0);
        }

        c.SetRegister(X86Cpu.ESI, _startInfo);
        c.SetRegister(X86Cpu.ESP, stackTop);
        c.FlagBits = 0x202;
        c.Eip = entry;
    }

    private void WriteFlat(uint address, bool code, uint dpl)
    {
        _host.Write32(address, 0x0000_FFFF);
        _host.Write32(address + 4, 0x00CF_0000 | ((code ? 0x9Bu : 0x93u) | (dpl << 5)) << 8);
    }

    // ---- running ---------------------------------------------------------------------------------------------------

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

            if (_blocked)
            {
                // SCHEDOP_block idles as HLT does on bare metal (its events enabled): virtual time jumps to the next timer.
                _blocked = false;
                _stopped = _halted.WaitForInterrupt(interruptsEnabled: true, _cpu.Eip, "SCHEDOP_block");
                continue;
            }

            if (_interpreter.Run(untilRetired) == ExecutionStop.Halted)
            {
                // HLT is privileged at CPL 1 and faults; a halted processor here means the VMM's own state is wrong.
                return MachineResult.Crashed($"PV guest halted the processor at EIP 0x{_cpu.Eip:X8}");
            }
        }
    }

    /// <summary>Ends the run from inside a hypercall or a bounce (shutdown, a broken guest).</summary>
    private void Stop(MachineResult result)
    {
        _stopped ??= result;
        _interpreter.RequestStop();
    }

    private bool UpcallDeliverable => _host.Read8(_sharedInfo + SharedInfo.UpcallPending) != 0 && _host.Read8(_sharedInfo + SharedInfo.UpcallMask) == 0;

    /// <summary>The processor's INTR line: an event upcall is due when one is pending and the guest's mask allows it.</summary>
    private sealed class UpcallLine(ParavirtBackend vmm) : IInterruptSource
    {
        public bool InterruptRequested => vmm.UpcallDeliverable && vmm._callbackEip != 0;

        public byte Acknowledge(out int irq)
        {
            irq = -1; // events are not IRQ lines: counted as event.<virq> instead
            return 0;
        }
    }

    // ---- statistics ------------------------------------------------------------------------------------------------

    public void CollectEvents(IDictionary<string, long> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        VmStatistics.AddCpuCounters(events, _cpu, _platform.Io.Accesses);
        for (int n = 0; n < _hypercalls.Length; n++)
        {
            if (_hypercalls[n] > 0)
            {
                events["hypercall." + (HypercallDispatcher.NameOf(n) ?? "unknown_" + n)] = _hypercalls[n];
            }
        }

        events["pv.hypercalls"] = _hypercalls.Sum();
        events["pv.multicallEntries"] = _multicallEntries;
        events["pv.mmuUpdateEntries"] = _mmuUpdateEntries;
        events["pv.mmuextOperations"] = _mmuextOperations;
        events["pv.bounces"] = _bounces;
        events["pv.directSystemCalls"] = _cpu.Counters.DirectSoftwareInterrupts;
        events["pv.upcalls"] = _upcalls;
        events["event.timer"] = _virqEvents[Virq.Timer];
        events["vmm.interventions"] = Interventions;
        CollectExecutionEvents(events);
    }

    /// <summary>Every entry into the VMM: hypercalls, bounced exceptions and system calls, event upcalls.</summary>
    public long Interventions => _hypercalls.Sum() + _bounces + _upcalls;

    public CycleAccount ModelCycles(CostParameters cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ulong vmmWork = (ulong)_hypercalls.Sum() * cost.PvHypercall
            + (ulong)(_bounces + _upcalls) * cost.PvBounce
            + (ulong)_platform.Io.Accesses * cost.IoEmulation;
        return new CycleAccount(
            Instructions: _cpu.Retired * cost.Instruction,
            Deliveries: (ulong)(_bounces + _upcalls) * cost.InterruptDelivery,
            Exits: 0,
            VmmWork: vmmWork,
            NestedWalks: 0,
            BinaryTranslationEstimate: null);
    }

    /// <summary>A registered exception or system-call handler (trap_info).</summary>
    private readonly record struct TrapEntry(bool Present, byte Flags, ushort Cs, uint Address);

    /// <summary>The periodic and one-shot timers on virtual time, both raising VIRQ_TIMER.</summary>
    private sealed class PvTimer(ParavirtBackend vmm) : ITimedDevice
    {
        public ulong Period;
        public ulong NextPeriodic = ulong.MaxValue;
        public ulong OneShot = ulong.MaxValue;

        public ulong NextDeadline => Math.Min(NextPeriodic, OneShot);

        public void Advance(ulong now)
        {
            if (NextPeriodic <= now)
            {
                vmm.RaiseVirq(Virq.Timer);
                // One event per period that passed would only be coalesced into the same pending bit.
                ulong missed = (now - NextPeriodic) / Period;
                NextPeriodic += (missed + 1) * Period;
            }

            if (OneShot <= now)
            {
                OneShot = ulong.MaxValue;
                vmm.RaiseVirq(Virq.Timer);
            }
        }
    }
}
