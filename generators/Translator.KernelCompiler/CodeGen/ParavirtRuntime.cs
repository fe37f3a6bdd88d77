namespace Translator.KernelCompiler.CodeGen;

/// <summary>
/// The state of the paravirtual runtime: static fields of the guest library's <c>Paravirt</c> class
/// (src/Translator.Guest/Library/Paravirt.cs), laid out in both builds (one data layout) and used by the PV start
/// routine, the event callback and the PV lowerings, by these keys.
/// </summary>
internal static class ParavirtRuntime
{
    public const string ClassKey = "Translator.Guest.Paravirt";
    private const string Prefix = "F:Translator.Guest.Paravirt.";

    public const string StartInfo = Prefix + "StartInfo";
    public const string SharedInfo = Prefix + "SharedInfo";
    public const string Cr0 = Prefix + "Cr0";
    public const string Cr3 = Prefix + "Cr3";
    public const string Cr4 = Prefix + "Cr4";
    public const string GdtBase = Prefix + "GdtBase";
    public const string GdtLimit = Prefix + "GdtLimit";
    public const string IdtBase = Prefix + "IdtBase";
    public const string IdtLimit = Prefix + "IdtLimit";
    public const string Ldt = Prefix + "Ldt";
    public const string TaskRegister = Prefix + "TaskRegister";

    /// <summary>byte[64]: the vector an event channel port's events are handled as (0: none); Pic.Remap's PV form fills it.</summary>
    public const string PortVector = Prefix + "PortVector";

    public static readonly string[] Fields = { StartInfo, SharedInfo, Cr0, Cr3, Cr4, GdtBase, GdtLimit, IdtBase, IdtLimit, Ldt, TaskRegister, PortVector };

    /// <summary>Sends the console buffer (Paravirt.Write batches): every exit path of the PV runtime calls it first.</summary>
    public const string FlushConsole = "M:Translator.Guest.Paravirt.FlushConsole";

    /// <summary>Ports the event callback scans (PortVector's length).</summary>
    public const int Ports = 64;

    /// <summary>Xen's names of the hypercalls, by number, for the listing (<c>call HYPERVISOR_console_io</c>).</summary>
    public static readonly (int Number, string Name)[] HypercallNames =
    {
        (0, "set_trap_table"), (1, "mmu_update"), (2, "set_gdt"), (3, "stack_switch"), (4, "set_callbacks"), (5, "fpu_taskswitch"),
        (13, "multicall"), (14, "update_va_mapping"), (15, "set_timer_op"), (17, "xen_version"), (18, "console_io"), (23, "iret"),
        (24, "vcpu_op"), (26, "mmuext_op"), (29, "sched_op"), (32, "event_channel_op"), (33, "physdev_op"),
    };

    /// <summary>The kernel's data selector as the PV build loads it (RPL 1).</summary>
    public const ushort KernelDataSelector = 0x11;
}
