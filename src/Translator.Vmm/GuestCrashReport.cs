using System.Globalization;
using System.Text;
using Translator.Machine;
using Translator.Machine.Cpu;

namespace Translator.Vmm;

/// <summary>
/// What the tool says under a crash's one-line reason, as a debugger would: where the guest was (the instruction that
/// began a triple fault's chain, else the current one) with its function and source line, and the registers. The
/// same under every backend: general registers, EIP and the flags a guest computes (IF and IOPL are virtualized
/// differently by each technique, so they are left out).
/// </summary>
internal static class GuestCrashReport
{
    private static readonly (EFlags Flag, string Name)[] s_flags =
        [(EFlags.CF, "CF"), (EFlags.PF, "PF"), (EFlags.AF, "AF"), (EFlags.ZF, "ZF"), (EFlags.SF, "SF"), (EFlags.DF, "DF"), (EFlags.OF, "OF")];

    public static string Describe(X86Cpu cpu, GuestImageMap map)
    {
        uint at = cpu.Eip; // after a triple fault, still the instruction that began the chain (delivery never committed)
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"at 0x{at:X8}");
        if (map.Describe(at) is { } where)
        {
            text.Append(" in ").Append(where);
        }

        text.Append('\n');
        string[] names = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"];
        int[] order = [0, 3, 1, 2, 6, 7, 5, 4]; // EAX EBX ECX EDX ESI EDI EBP ESP, as debuggers print them
        text.AppendJoin(' ', order.Select(r => string.Create(CultureInfo.InvariantCulture, $"{names[r]}={cpu.GetRegister(r):X8}")));
        uint flags = cpu.FlagBits;
        string set = string.Join(' ', s_flags.Where(f => (flags & (uint)f.Flag) != 0).Select(f => f.Name));
        text.Append(CultureInfo.InvariantCulture, $"\nEIP={cpu.Eip:X8} flags: {(set.Length > 0 ? set : "none")}");
        return text.ToString();
    }
}
