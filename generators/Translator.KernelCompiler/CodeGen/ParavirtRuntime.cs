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

    /// <summary>Ports the event callback scans (PortVector's length).</summary>
    public const int Ports = 64;

    /// <summary>The kernel's data selector as the PV build loads it (RPL 1).</summary>
    public const ushort KernelDataSelector = 0x11;
}
