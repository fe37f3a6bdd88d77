using Translator.Vmm.Backends.Bt;
using Translator.Vmm.Backends.Deprivileged;

namespace Translator.Vmm.Backends.Trap;

/// <summary>
/// Trap-and-emulate only (<c>trap</c>), the teaching backend: the deprivileged guest runs directly on the processor,
/// privileged instructions fault at CPL 1 and the VMM emulates them, and nothing else is done. The sensitive
/// unprivileged instructions (SGDT, PUSHF, POPF, LAR, MOV from CS...) execute as they are and show the guest the
/// VMM's tables, RPL 1 and an IF it did not set: the Popek–Goldberg holes of x86 (docs/bt-backend.md lists them).
/// With <c>--execution translated</c> hot code runs as the binary-translation core's code on the same deprivileged
/// processor: its privileged instructions run their own handlers and fault at CPL 1 as they do interpreted.
/// </summary>
public sealed class TrapAndEmulateBackend(VmOptions options, Action<byte> console) : DeprivilegedMonitor(options, console), ITranslatingBackend
{
    private readonly bool _runsTranslated = options.Execution != ExecutionTier.Interpreter;
    private AttachedTranslation? _translated;

    public override string Name => "trap";

    /// <summary>The translated code the interpreter runs; nothing is attached on the interpreter path.</summary>
    public AttachedTranslation Translated => _translated ??= new AttachedTranslation(Interpreter);

    public override void CollectEvents(IDictionary<string, long> events)
    {
        base.CollectEvents(events);
        if (_runsTranslated)
        {
            Translated.CollectEvents(events, Cpu);
        }
    }
}
