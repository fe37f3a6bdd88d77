using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using Translator.Machine.Translation;
using Translator.Vmm.Backends.Deprivileged;

namespace Translator.Vmm.Backends.Bt;

/// <summary>
/// Full virtualization by binary translation (<c>bt</c>), the VMware way: the same deprivileged guest as
/// <c>trap</c>, but every privileged and every sensitive unprivileged instruction is replaced by a callout into the
/// VMM, which emulates it against the virtual state, so the guest sees exactly what ring 0 on bare metal shows
/// (its own GDTR, RPL 0 in CS, its own IF in PUSHF). Each callout is counted as <c>callout.&lt;mnemonic&gt;</c>.
/// <para>
/// The callouts are installed as the processor's handler overrides, which the decoder and the block compiler honour,
/// so interpreted and compiled guest code call them alike. Translated regions (<see cref="Translation"/>) run the same
/// handlers for anything sensitive; without a translation the guest runs on the interpreter with callouts, which is
/// also the fallback for code a translation does not cover.
/// </para>
/// </summary>
public sealed unsafe class BinaryTranslationBackend : DeprivilegedMonitor, ITranslatingBackend
{
    private readonly long[] _callouts = new long[Enum.GetValues<Code>().Length];

    public BinaryTranslationBackend(VmOptions options, Action<byte> console)
        : base(options, console)
    {
        Translated = new AttachedTranslation(Interpreter);
    }

    public override string Name => "bt";

    /// <summary>The translated code the interpreter runs (see <see cref="AttachedTranslation"/>).</summary>
    public AttachedTranslation Translated { get; }

    /// <summary>The translation this run uses and what obtaining it cost (null: everything runs on the interpreter).</summary>
    public LoadedTranslation? Translation => Translated.Translation;

    /// <summary>
    /// Runs <paramref name="translation"/>'s regions wherever they match the loaded code; the rest stays on the
    /// interpreter (with the same callouts) and is reported by <see cref="UntranslatedEntries"/>.
    /// </summary>
    public void Attach(LoadedTranslation translation) => Translated.Attach(translation);

    /// <summary>Why no translation could be used (its generated code did not compile); null when none was asked for or it worked.</summary>
    public string? TranslationProblem => Translated.Problem;

    /// <summary>Addresses where guest code ran without a translated region (entries for the next translation).</summary>
    public IReadOnlyCollection<uint> UntranslatedEntries => Translated.UntranslatedEntries;

    /// <summary>Callouts made for one instruction form so far.</summary>
    public long CalloutsOf(Code code) => _callouts[(int)code];

    protected override long CalloutCount => _callouts.Sum();

    protected override void OnLoaded()
    {
        var overrides = new HandlerOverrides();
        foreach (Code code in SensitiveInstructions.Codes)
        {
            overrides.Add(code, &Callout);
        }

        Cpu.HandlerOverrides = overrides;
    }

    /// <summary>The handler every sensitive instruction is decoded to: into the VMM that owns the processor.</summary>
    private static void Callout(X86Cpu cpu, ref DecodedOp op) => ((BinaryTranslationBackend)cpu.Monitor!).Emulate(ref op);

    private void Emulate(ref DecodedOp op)
    {
        _callouts[(int)op.Instruction.Code]++;
        ExecuteSensitive(ref op);
    }

    public override void CollectEvents(IDictionary<string, long> events)
    {
        base.CollectEvents(events);
        AddCounts(events, "callout.", _callouts);
        Translated.CollectEvents(events, Cpu);
    }
}
