namespace Translator.Machine.Cpu;

/// <summary>
/// The processor's nonmaskable-interrupt input (Intel SDM Vol. 3, 6.7 and 6.7.1). An NMI is taken at an instruction
/// boundary whatever EFLAGS.IF says, through IDT vector 2 (an interrupt, trap or task gate), ahead of maskable
/// interrupts (table 6-2). Once one is delivered the processor blocks further NMIs until the next IRET; one NMI
/// arriving meanwhile is latched and taken right after that IRET, and any more are lost. An IRET unblocks NMIs even
/// when it then faults (which is why VMX reports "NMI unblocking due to IRET" on such an exit, 27.2.3).
/// </summary>
public sealed partial class X86Cpu
{
    /// <summary>The NMI latch: an NMI reached the processor and waits to be taken (one deep).</summary>
    public bool NmiPending { get; set; }

    /// <summary>
    /// Blocking by NMI: an NMI handler runs and no IRET has ended it yet. In VMX non-root operation this is the guest
    /// interruptibility state's bit 3 (with "virtual NMIs", virtual-NMI blocking), which the VMM reads and writes.
    /// </summary>
    public bool NmiBlocked { get; set; }

    /// <summary>An IRET at <see cref="_nmiUnblockingIret"/> unblocked NMIs and has not completed (VMX's "NMI unblocking due to IRET").</summary>
    internal bool NmiUnblockedByIret;
    private uint _nmiUnblockingIret;

    /// <summary>Whether the latched NMI can be taken at this boundary (the STI/MOV SS shadow aside).</summary>
    public bool NmiDeliverable => NmiPending && !NmiBlocked;

    /// <summary>
    /// Takes the latched NMI: NMIs are blocked from here to the next IRET, and vector 2 is delivered as an external
    /// event (EXT set in any error code its delivery raises), or handed to a deprivileging VMM to reflect.
    /// </summary>
    internal void DeliverNmi()
    {
        NmiPending = false;
        NmiBlocked = true;
        Halted = false;
        Counters.Nmis++;
        if (Interceptor is { } vmm)
        {
            vmm.Intercept(this, new InterceptedEvent(InterceptedEventKind.External, (int)ExceptionVector.Nmi, false, 0, Eip));
            return;
        }

        try
        {
            Deliver((int)ExceptionVector.Nmi, InterruptSource.Nmi, false, 0, Eip);
        }
        catch (GuestFault fault)
        {
            DeliverException(fault.Vector, fault.HasErrorCode, fault.ErrorCode);
        }
    }

    /// <summary>The first act of every IRET (task return included): NMIs are unblocked, even if the IRET then faults.</summary>
    internal void UnblockNmiForIret(uint iretEip)
    {
        NmiUnblockedByIret = NmiBlocked;
        _nmiUnblockingIret = iretEip;
        NmiBlocked = false;
    }

    /// <summary>The IRET completed: nothing is left to undo.</summary>
    internal void IretCompleted() => NmiUnblockedByIret = false;

    /// <summary>Whether the instruction at EIP is an IRET that unblocked NMIs and faulted.</summary>
    internal bool FaultedIretUnblockedNmi => NmiUnblockedByIret && _nmiUnblockingIret == Eip;

    /// <summary>
    /// A VMM restarts the instruction that faulted invisibly to the guest (a hidden page fault, an EPT violation):
    /// if it was an IRET that had unblocked NMIs, they are blocked again, since that IRET has not happened yet.
    /// </summary>
    public void ReblockNmiForRestartedIret()
    {
        if (FaultedIretUnblockedNmi)
        {
            NmiBlocked = true;
            NmiUnblockedByIret = false;
        }
    }
}
