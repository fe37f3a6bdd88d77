namespace Translator.Machine.Cpu;

/// <summary>What kind of event the processor was about to deliver through its IDT.</summary>
public enum InterceptedEventKind
{
    /// <summary>A fault or trap an instruction raised; EIP is the faulting instruction (the next one for a #DB trap).</summary>
    Exception,

    /// <summary>An IRQ the interrupt controller acknowledged.</summary>
    External,

    /// <summary>INT n, INT3, INTO; the return address is the next instruction.</summary>
    Software,
}

/// <summary>An event the processor hands to a deprivileging VMM instead of delivering it.</summary>
public readonly record struct InterceptedEvent(InterceptedEventKind Kind, int Vector, bool HasErrorCode, uint ErrorCode, uint ReturnEip);

/// <summary>
/// A VMM that runs this processor's guest deprivileged (VMware-style ring compression): every exception and
/// interrupt reaches it before the processor would use its IDT. It handles the event itself (a trapped privileged
/// instruction, a hidden page fault) or reflects it into the guest's virtual IDT.
/// </summary>
public interface IEventInterceptor
{
    void Intercept(X86Cpu cpu, in InterceptedEvent e);
}

/// <summary>
/// The two narrow hooks of deprivileged execution. The interceptor takes over event delivery; the VMM's own system
/// tables (the real GDT, IDT and TSS) are read by host-physical address, the way the processor reaches a VMCS, so
/// they live in host memory outside every guest mapping (VMware instead kept its tables in the top 4 MiB of the
/// linear space and fenced them off with segment limits, which this flat-segment machine does not model).
/// </summary>
public sealed partial class X86Cpu
{
    /// <summary>The deprivileging VMM; null on bare metal and under VMX, where the IDT is used as usual.</summary>
    internal IEventInterceptor? Interceptor;

    /// <summary>GDTR, LDTR, TR and the descriptor loads through them address host-physical memory (the VMM's tables).</summary>
    internal bool SystemTablesPhysical;

    /// <summary>
    /// Set by the interceptor when it consumed a fault without the guest seeing it (a hidden page fault): the
    /// instruction restarts and does not count as retired.
    /// </summary>
    internal bool RestartWithoutRetiring;

    /// <summary>
    /// INT n vectors the processor delivers through its IDT past the interceptor: the VMM wrote a real gate for them
    /// (Xen's direct <c>int 0x80</c> trap gate into a paravirtual kernel), so a system call never enters the VMM.
    /// </summary>
    private readonly bool[] _directSoftwareVectors = new bool[256];

    /// <summary>Lets INT <paramref name="vector"/> reach the IDT gate the VMM installed (or, with false, the VMM again).</summary>
    public void SetDirectSoftwareInterrupt(byte vector, bool direct) => _directSoftwareVectors[vector] = direct;

    /// <summary>The exceptions of the event being delivered (a triple fault's story).</summary>
    public FaultChain FaultChain { get; } = new();

    /// <summary>Installs a deprivileging VMM: from now on every event goes to <paramref name="interceptor"/>.</summary>
    public void InstallEventInterceptor(IEventInterceptor interceptor, bool systemTablesPhysical)
    {
        Interceptor = interceptor;
        SystemTablesPhysical = systemTablesPhysical;
    }

    /// <summary>Delivers through the IDT the processor currently points at, bypassing the interceptor (the VMM's reflection).</summary>
    public void DeliverThroughIdt(in InterceptedEvent e)
    {
        InterruptSource source = e.Kind switch
        {
            InterceptedEventKind.External => InterruptSource.External,
            InterceptedEventKind.Software => InterruptSource.Software,
            _ => InterruptSource.Exception,
        };
        Deliver(e.Vector, source, e.HasErrorCode, e.ErrorCode, e.ReturnEip);
    }

    /// <summary>Whether a second exception during the delivery of the first makes a double fault (SDM Vol. 3 table 6-5).</summary>
    public static bool IsDoubleFaultPair(ExceptionVector first, ExceptionVector second) => IsDoubleFault(first, second);

    /// <summary>Consumes <see cref="RestartWithoutRetiring"/> (the interpreter's retirement accounting of a fault).</summary>
    internal bool TakeRestart()
    {
        bool restart = RestartWithoutRetiring;
        RestartWithoutRetiring = false;
        return restart;
    }

    private uint ReadSystem32(uint address) => SystemTablesPhysical ? Mmu.Physical.Read32(address) : Mmu.ReadSupervisor32(address);

    private ushort ReadSystem16(uint address) => SystemTablesPhysical ? Mmu.Physical.Read16(address) : Mmu.ReadSupervisor16(address);

    internal void WriteSystem32(uint address, uint value)
    {
        if (SystemTablesPhysical)
        {
            Mmu.Physical.Write32(address, value);
        }
        else
        {
            Mmu.WriteSupervisor32(address, value);
        }
    }
}
