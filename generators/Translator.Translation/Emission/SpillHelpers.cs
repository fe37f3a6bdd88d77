using System.Collections.Generic;
using System.Linq;

namespace Translator.Translation.Emission;

/// <summary>
/// One small helper per set of written registers that stores them in the CPU (<c>Spill_XX(cpu, eax, ...)</c>):
/// every slow path spills, and a one-call line keeps the generated source, and its compile time, small.
/// </summary>
internal sealed class SpillHelpers
{
    private static readonly string[] s_names = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    private readonly SortedSet<int> _masks = new SortedSet<int>();

    /// <summary>The call that stores the registers in <paramref name="mask"/> (bit k: register k).</summary>
    public string Call(int mask)
    {
        if (mask == 0)
        {
            return "";
        }

        _masks.Add(mask);
        return $"Spill_{mask:X2}(cpu, {string.Join(", ", Registers(mask))});";
    }

    private static IEnumerable<string> Registers(int mask) => Enumerable.Range(0, 8).Where(r => (mask & (1 << r)) != 0).Select(r => s_names[r]);

    public void Emit(CodeWriter w)
    {
        foreach (int mask in _masks)
        {
            w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
            w.Line($"private static void Spill_{mask:X2}(X86Cpu cpu, {string.Join(", ", Registers(mask).Select(n => "uint " + n))})");
            w.Line("{");
            w.Indent();
            w.Line("ref uint regs = ref cpu.TcRegisters;");
            w.Line(string.Join(" ", Enumerable.Range(0, 8).Where(r => (mask & (1 << r)) != 0).Select(r => $"Unsafe.Add(ref regs, {r}) = {s_names[r]};")));
            w.Outdent();
            w.Line("}");
            w.Line();
        }
    }
}
