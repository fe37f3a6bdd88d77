using Translator.Machine.Cpu;

namespace Translator.Vmm.Backends.Deprivileged;

/// <summary>
/// Task switches of the deprivileged guest. The real GDT has no TSS descriptors and the real TR is null, so a far
/// JMP/CALL to a TSS or task gate raises #GP and an IRET with NT raises #TS at the real CPL: the VMM emulates the
/// instruction in the virtual view, where the processor's own task switch runs against the guest's GDT, TSSs and
/// IDT; a task gate in the guest's IDT is taken when the VMM reflects an event. Leaving the view then takes the new
/// TR, LDTR and CR0.TS into the virtual state.
/// </summary>
public abstract partial class DeprivilegedMonitor
{
    private const uint Cr0Pg = 0x8000_0000;

    private void InstallTaskSwitchHooks()
    {
        // Every page the switch will touch is made present in the shadow first: a switch cannot restart halfway.
        _cpu.TaskSwitchFaultResolver = fault =>
            fault.Vector == ExceptionVector.PageFault && _shadow.ResolveFault(_cpu.Cr2, fault.ErrorCode, out _);
        _cpu.TaskSwitchCr3Loader = LoadTaskCr3;
    }

    /// <summary>
    /// The new task's CR3 goes to the shadow page tables, which own paging; the view keeps showing the guest's
    /// CR0/CR3/CR4 while the real registers (now at the new shadow) are what leaving the view restores.
    /// </summary>
    private void LoadTaskCr3(uint cr3)
    {
        if ((_shadow.GuestCr0 & Cr0Pg) == 0 || cr3 == _shadow.GuestCr3)
        {
            return;
        }

        X86Cpu c = _cpu;
        uint viewCr0 = c.Cr0, viewCr4 = c.Cr4;
        _shadow.WriteCr3(cr3);
        (_realCr0, _realCr3, _realCr4) = (c.Cr0, c.Cr3, c.Cr4);
        _viewCr3 = cr3;
        c.Cr0 = viewCr0;
        c.Cr3 = cr3;
        c.Cr4 = viewCr4;
    }
}
