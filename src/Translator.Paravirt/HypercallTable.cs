namespace Translator.Paravirt;

/// <summary>
/// The hypercall table of the Translator PV ABI, described once (docs/paravirt-abi.md gives every layout). The VMM
/// implements this interface; the hypercall generator emits from it the VMM's typed dispatch (registers read,
/// arguments decoded and validated, the handler called), the 32-byte stubs of the hypercall page, and the DSL's
/// typed <c>Translator.Guest.Hypercall</c> methods, one per hypercall, taking every argument as <c>uint</c>.
/// A handler returns the value left in the caller's EAX: 0 or a count on success, -errno on failure.
/// </summary>
[HypercallTable]
internal interface IHypercalls
{
    /// <summary>Registers the guest's exception and system-call handlers (trap_info array, ended by a zero address).</summary>
    [Hypercall(0, "set_trap_table")]
    int SetTrapTable([GuestBuffer(8, MaxCount = 256)] GuestPointer table);

    /// <summary>Applies <paramref name="count"/> page-table writes, each validated; how many succeeded goes to <paramref name="done"/>.</summary>
    [Hypercall(1, "mmu_update")]
    int MmuUpdate([GuestBuffer(16, CountFrom = nameof(count), MaxCount = 4096)] GuestPointer requests, uint count,
        [GuestBuffer(4, Writable = true, Optional = true)] GuestPointer done, uint domain);

    /// <summary>Departure: copies <paramref name="entries"/> descriptors from the linear address <paramref name="table"/> (Xen takes frame numbers).</summary>
    [Hypercall(2, "set_gdt")]
    int SetGdt([GuestBuffer(8, CountFrom = nameof(entries), MaxCount = 7168)] GuestPointer table, uint entries);

    /// <summary>The kernel stack ring 3 switches to on an event (the TSS's SS1:ESP1).</summary>
    [Hypercall(3, "stack_switch")]
    int StackSwitch([Selector] uint stackSegment, uint stackPointer);

    /// <summary>The event upcall entry and the failsafe entry (selector RPL 0 is taken as 1).</summary>
    [Hypercall(4, "set_callbacks")]
    int SetCallbacks([Selector] uint eventSelector, uint eventAddress, [Selector] uint failsafeSelector, uint failsafeAddress);

    /// <summary>Sets (1) or clears (0) the virtual CR0.TS.</summary>
    [Hypercall(5, "fpu_taskswitch")]
    int FpuTaskswitch(uint set);

    /// <summary>Runs <paramref name="count"/> hypercalls from one array, each result written into its entry.</summary>
    [Hypercall(13, "multicall")]
    int Multicall([GuestBuffer(32, CountFrom = nameof(count), MaxCount = 64, Writable = true)] GuestPointer calls, uint count);

    /// <summary>Writes the page-table entry that maps <paramref name="linear"/> in the current address space, validated, then flushes.</summary>
    [Hypercall(14, "update_va_mapping")]
    int UpdateVaMapping(uint linear, uint entry, uint flags);

    /// <summary>A one-shot VIRQ_TIMER at the absolute virtual time (ns) <paramref name="timeoutHigh"/>:<paramref name="timeoutLow"/>; 0 cancels.</summary>
    [Hypercall(15, "set_timer_op")]
    int SetTimerOp(uint timeoutLow, uint timeoutHigh);

    /// <summary>The ABI version (command 0) or the extra-version string (command 1, 16 bytes into <paramref name="buffer"/>).</summary>
    [Hypercall(17, "xen_version")]
    int XenVersion(uint command, [GuestBuffer(16, Writable = true, Optional = true)] GuestPointer buffer);

    /// <summary>Writes <paramref name="count"/> bytes to the console (command 0) or reads up to that many (command 1).</summary>
    [Hypercall(18, "console_io")]
    int ConsoleIo(uint command, uint count, [GuestBuffer(1, CountFrom = nameof(count), MaxCount = 65536)] GuestPointer buffer);

    /// <summary>Returns from an exception, event or system call through the frame at ESP (see IretFrame); never returns to the caller.</summary>
    [Hypercall(23, "iret", NoReturn = true)]
    int Iret();

    /// <summary>Per-vCPU operations: the periodic and single-shot timers, is_up.</summary>
    [Hypercall(24, "vcpu_op")]
    int VcpuOp(uint command, uint vcpu, [GuestBuffer(8, Optional = true)] GuestPointer argument);

    /// <summary>Pinning, the page-directory base, TLB flushes, the LDT: <paramref name="count"/> operations.</summary>
    [Hypercall(26, "mmuext_op")]
    int MmuextOp([GuestBuffer(12, CountFrom = nameof(count), MaxCount = 4096)] GuestPointer operations, uint count,
        [GuestBuffer(4, Writable = true, Optional = true)] GuestPointer done, uint domain);

    /// <summary>Yield, block until an event, shut down.</summary>
    [Hypercall(29, "sched_op")]
    int SchedOp(uint command, [GuestBuffer(4, Optional = true)] GuestPointer argument);

    /// <summary>Binds virtual interrupts to ports, sends, closes and unmasks ports.</summary>
    [Hypercall(32, "event_channel_op")]
    int EventChannelOp(uint command, [GuestBuffer(4, Writable = true)] GuestPointer argument);

    /// <summary>Departure: port I/O on the legacy devices the VMM emulates (PhysdevOpCommand).</summary>
    [Hypercall(33, "physdev_op")]
    int PhysdevOp(uint command, [GuestBuffer(8, Writable = true)] GuestPointer argument);
}
