using System.Collections.Generic;
using System.Linq;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>The instructions of an image that run through the shared handlers: one static array, built at first use.</summary>
internal sealed class FallbackTable
{
    private readonly Dictionary<uint, int> _byIp = new Dictionary<uint, int>();
    private readonly List<DecodedInstruction> _instructions = new List<DecodedInstruction>();

    public int Count => _instructions.Count;

    public IReadOnlyList<FallbackInstruction> Instructions => _instructions.Select(d => new FallbackInstruction(d.Ip, d.Bytes.ToArray())).ToList();

    public int Add(DecodedInstruction d)
    {
        if (!_byIp.TryGetValue(d.Ip, out int index))
        {
            index = _instructions.Count;
            _instructions.Add(d);
            _byIp[d.Ip] = index;
        }

        return index;
    }

    public void Emit(CodeWriter w)
    {
        w.Line("/// <summary>Instructions executed through the shared handlers (resolved with the CPU's handler overrides).</summary>");
        w.Open("private static class Fallbacks");
        w.Line("public static readonly GuestInstruction[] Ops =");
        w.Line("{");
        w.Indent();
        foreach (DecodedInstruction d in _instructions)
        {
            string bytes = string.Join(", ", d.Bytes.Select(b => "0x" + b.ToString("X2")));
            w.Line($"new GuestInstruction({RegionEmitter.Hex(d.Ip)}, new byte[] {{ {bytes} }}),");
        }

        w.Outdent();
        w.Line("};");
        w.Close();
    }
}
