using Translator.Machine.Cpu;
using Translator.Paravirt;
using Translator.Paravirt.Abi;
using Translator.Vmm.Backends.Bt;

namespace Translator.Vmm.Backends.Pv;

/// <summary>
/// The fast PV path (<c>--execution translated</c>): the PV image runs through the binary-translation core, every
/// hypercall site compiled into a direct call of <see cref="IHypercallGate.Hypercall"/>, which is the same
/// <see cref="Hypercall"/> the interpreter path reaches through int 0x82, so both paths give the same output, exit
/// code and retired count. Code the translation does not cover runs on the interpreter.
/// </summary>
public sealed partial class ParavirtBackend : ITranslatingBackend, IHypercallGate
{
    private static readonly byte[] s_stubs = HypercallPage.Build();

    private AttachedTranslation? _translated;

    /// <summary>The translated code the interpreter runs; nothing is attached on the interpreter path.</summary>
    public AttachedTranslation Translated => _translated ??=
        new AttachedTranslation(_interpreter, linear => _hypercallPage == 0 || linear - _hypercallPage >= 4096);

    /// <summary>The image's hypercall page (0: none): code there is the VMM's stubs, never translated.</summary>
    private uint _hypercallPage;

    /// <summary>Which path runs the guest: the interpreter (the reference) or translated code.</summary>
    public ExecutionTier Execution => _options.Execution;

    void IHypercallGate.Hypercall(X86Cpu cpu, uint number) => Hypercall(number);

    /// <summary>Compares the stub's code bytes (not its int3 padding) through the guest's current mappings.</summary>
    bool IHypercallGate.IsStub(X86Cpu cpu, uint linear, uint number)
    {
        if (number >= HypercallNumber.StubCount || (linear & 0xFFF) > 0x1000 - 8 || _pages.Translate(linear, write: false) is not uint physical)
        {
            return false;
        }

        const int Code = 8; // both stub forms hold 8 bytes of code, then int3s (docs/paravirt-abi.md 4.4)
        return _host.Span(physical, Code).SequenceEqual(s_stubs.AsSpan((int)number * HypercallNumber.StubBytes, Code));
    }

    /// <summary>The translated path's counters: which path ran, the bt.* counters of the translated code, direct hypercalls.</summary>
    private void CollectExecutionEvents(IDictionary<string, long> events)
    {
        if (_options.Execution == ExecutionTier.Interpreter)
        {
            return;
        }

        Translated.CollectEvents(events, _cpu);
        events["pv.directHypercalls"] = _cpu.DirectHypercalls;
    }
}
