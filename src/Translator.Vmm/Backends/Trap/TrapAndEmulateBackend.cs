using Translator.Vmm.Backends.Deprivileged;

namespace Translator.Vmm.Backends.Trap;

/// <summary>
/// Trap-and-emulate only (<c>trap</c>), the teaching backend: the deprivileged guest runs directly on the processor,
/// privileged instructions fault at CPL 1 and the VMM emulates them, and nothing else is done. The sensitive
/// unprivileged instructions (SGDT, PUSHF, POPF, LAR, MOV from CS...) execute as they are and show the guest the
/// VMM's tables, RPL 1 and an IF it did not set: the Popek–Goldberg holes of x86 (docs/bt-backend.md lists them).
/// </summary>
public sealed class TrapAndEmulateBackend(VmOptions options, Action<byte> console) : DeprivilegedMonitor(options, console)
{
    public override string Name => "trap";
}
