using System.Globalization;
using System.Text;

namespace Translator.Machine.Cpu;

/// <summary>One exception of an event's delivery: the first one an instruction raised, or one raised while delivering.</summary>
public readonly record struct FaultLink(ExceptionVector Vector, bool HasErrorCode, uint ErrorCode, uint Eip);

/// <summary>
/// The exceptions of the event being delivered, in order, so a triple fault can say how it came about (a debugger's
/// "#DE at 0x00100057 → #GP(0x2: IDT entry 0) → #DF → #GP(0x43: IDT entry 8, EXT) → triple fault") rather than
/// only its last step. Every backend records the same links: the processor's own delivery, a deprivileging VMM's
/// reflection and a VMM's reinjection after an exit.
/// </summary>
public sealed class FaultChain
{
    private const int MaxLinks = 8; // a chain never grows past #DF, but a hostile VMM path must not grow it either

    private readonly List<FaultLink> _links = new(MaxLinks);

    public IReadOnlyList<FaultLink> Links => _links;

    /// <summary>An instruction raised <paramref name="vector"/>: a new event, a new chain.</summary>
    public void Begin(ExceptionVector vector, bool hasErrorCode, uint errorCode, uint eip)
    {
        _links.Clear();
        _links.Add(new FaultLink(vector, hasErrorCode, errorCode, eip));
    }

    /// <summary>Delivering the event raised <paramref name="vector"/> (or escalated it to #DF).</summary>
    public void Add(ExceptionVector vector, bool hasErrorCode, uint errorCode, uint eip)
    {
        if (_links.Count < MaxLinks)
        {
            _links.Add(new FaultLink(vector, hasErrorCode, errorCode, eip));
        }
    }

    /// <summary>The triple fault that ends the chain, as an exception whose message tells the whole chain.</summary>
    public TripleFaultException TripleFault(ExceptionVector last, bool hasErrorCode, uint errorCode, uint eip)
    {
        Add(last, hasErrorCode, errorCode, eip);
        return new TripleFaultException("triple fault: " + Describe() + " → shutdown", _links.ToArray());
    }

    /// <summary>"#DE at EIP 0x00100057 → #GP(0x2: IDT entry 0) → ...".</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        for (int i = 0; i < _links.Count; i++)
        {
            FaultLink link = _links[i];
            text.Append(i == 0 ? "" : " → ").Append('#').Append(GuestFault.Mnemonic(link.Vector));
            if (link.HasErrorCode)
            {
                text.Append('(').Append(CultureInfo.InvariantCulture, $"0x{link.ErrorCode:X}").Append(ErrorCodeMeaning(link)).Append(')');
            }

            if (i == 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" at EIP 0x{link.Eip:X8}");
            }
        }

        return text.ToString();
    }

    /// <summary>What a selector error code names (SDM Vol. 3 6.13): an IDT entry, or a GDT/LDT selector; EXT when an external event caused it.</summary>
    private static string ErrorCodeMeaning(FaultLink link)
    {
        if (link.Vector is not (ExceptionVector.GeneralProtection or ExceptionVector.InvalidTss or ExceptionVector.SegmentNotPresent or ExceptionVector.StackFault)
            || link.ErrorCode == 0)
        {
            return "";
        }

        uint index = link.ErrorCode >> 3;
        string table = (link.ErrorCode & 2) != 0 ? $"IDT entry {index}" : (link.ErrorCode & 4) != 0 ? $"LDT selector 0x{link.ErrorCode & ~7u:X}" : $"GDT selector 0x{link.ErrorCode & ~7u:X}";
        return ": " + table + ((link.ErrorCode & 1) != 0 ? ", EXT" : "");
    }
}
