using System.Collections.Generic;
using System.Text;
using Iced.Intel;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>
/// Condition flags. A flag-writing instruction keeps its operands in slot temporaries (<c>f0a, f0b, f0r, f0c</c>;
/// an INC/DEC after a full producer takes the next slot); they are recorded in the CPU's lazy-flag state only where
/// something may observe them: a region exit, a fault, a handler call, a reader after a label, or a jump to a label
/// whose flags are live. A Jcc/SETcc/CMOVcc/ADC/SBB right after its producer computes the condition directly.
/// </summary>
internal sealed partial class RegionEmitter
{
    private enum Producer
    {
        Add,
        Sub,
        Adc,
        Sbb,
        Logic,
        Inc,
        Dec,
        Multiply,
        Shift,
    }

    private static Producer KindOf(DecodedInstruction d) => d.Instruction.Mnemonic switch
    {
        Mnemonic.Add => Producer.Add,
        Mnemonic.Sub or Mnemonic.Cmp or Mnemonic.Neg => Producer.Sub,
        Mnemonic.Adc => Producer.Adc,
        Mnemonic.Sbb => Producer.Sbb,
        Mnemonic.Inc => Producer.Inc,
        Mnemonic.Dec => Producer.Dec,
        Mnemonic.Imul or Mnemonic.Mul => Producer.Multiply,
        Mnemonic.Shl or Mnemonic.Shr or Mnemonic.Sar => Producer.Shift,
        _ => Producer.Logic,
    };

    /// <summary>
    /// The producers whose flags are pending (not yet in the CPU) before <paramref name="node"/>, or after it when
    /// <paramref name="after"/>: oldest first, starting at the last full producer when there is one.
    /// </summary>
    private List<Node> ChainAt(Node node, bool after)
    {
        var chain = new List<Node>();
        if (after)
        {
            if (node.D.IsFallback)
            {
                return chain;
            }

            if (MethodPlan.IsProducer(node))
            {
                chain.Add(node);
                if (!node.D.PartialFlagWriter)
                {
                    return chain;
                }
            }
        }

        Node current = node;
        while (!current.Label && current.Index > 0)
        {
            Node previous = _plan.Nodes[current.Index - 1];
            if (previous.Next != current || previous.D.IsFallback)
            {
                break;
            }

            if (MethodPlan.IsProducer(previous))
            {
                chain.Add(previous);
                if (!previous.D.PartialFlagWriter)
                {
                    break;
                }
            }

            current = previous;
        }

        chain.Reverse();
        return chain;
    }

    /// <summary>Statements that record the pending flags at the point before (or after) <paramref name="node"/>.</summary>
    private string Materialize(Node node, bool after)
    {
        List<Node> chain = ChainAt(node, after);
        if (chain.Count > _maxChain)
        {
            _maxChain = chain.Count;
        }

        var text = new StringBuilder();
        for (int slot = 0; slot < chain.Count; slot++)
        {
            DecodedInstruction d = chain[slot].D;
            int bits = InstructionFacts.OperandBits(in d.Instruction);
            string f = "f" + slot;
            string call = KindOf(d) switch
            {
                Producer.Add => $"cpu.TcFlagsAdd({bits}, {f}a, {f}b, {f}r);",
                Producer.Sub => $"cpu.TcFlagsSub({bits}, {f}a, {f}b, {f}r);",
                Producer.Adc => $"cpu.TcFlagsAdc({bits}, {f}a, {f}b, {f}r, {f}c);",
                Producer.Sbb => $"cpu.TcFlagsSbb({bits}, {f}a, {f}b, {f}r, {f}c);",
                Producer.Inc => $"cpu.TcFlagsInc({bits}, {f}a, {f}r);",
                Producer.Dec => $"cpu.TcFlagsDec({bits}, {f}a, {f}r);",
                Producer.Multiply => $"cpu.TcFlagsMultiply({bits}, {f}r, {f}c != 0);",
                Producer.Shift => $"cpu.TcFlagsShift({bits}, {f}r, {f}a, {f}b);",
                _ => $"cpu.TcFlagsLogic({bits}, {f}r);",
            };
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(call);
        }

        return text.ToString();
    }

    /// <summary>
    /// Stores the current instruction's flag operands in its slot (values already masked to the operand width),
    /// unless nothing can observe them.
    /// </summary>
    private void Produce(Node node, string a, string b, string r, string c = "0u")
    {
        if (node.TrueLiveOut == 0)
        {
            return; // nothing can observe any flag before all are overwritten
        }

        int slot = ChainAt(node, after: true).Count - 1;
        if (slot + 1 > _maxChain)
        {
            _maxChain = slot + 1;
        }

        string f = "f" + slot;
        var parts = new List<string>();
        if (a != "") parts.Add($"{f}a = {a};");
        if (b != "") parts.Add($"{f}b = {b};");
        if (r != "") parts.Add($"{f}r = {r};");
        if (c != "") parts.Add($"{f}c = {c};");
        W.Line(string.Join(" ", parts));
    }

    /// <summary>The value of condition <paramref name="cc"/> at <paramref name="node"/> (a reader), direct when the plan allows.</summary>
    private string ConditionAt(Node node, int cc)
    {
        if (!node.Direct)
        {
            string materialize = Materialize(node, after: false);
            if (materialize.Length > 0)
            {
                W.Line(materialize);
            }

            return $"cpu.TcCondition({cc})";
        }

        List<Node> chain = ChainAt(node, after: false);
        bool negate = (cc & 1) != 0;
        string value = DirectCondition(chain, cc & ~1);
        return negate ? $"!({value})" : value;
    }

    /// <summary>CF at <paramref name="node"/> as an expression (ADC/SBB carry in).</summary>
    private string CarryAt(Node node)
    {
        if (!node.Direct)
        {
            string materialize = Materialize(node, after: false);
            if (materialize.Length > 0)
            {
                W.Line(materialize);
            }

            return "cpu.TcCarry";
        }

        return DirectCondition(ChainAt(node, after: false), 2);
    }

    private static string DirectCondition(List<Node> chain, int cc)
    {
        int last = chain.Count - 1;
        Node producer = chain[last];
        DecodedInstruction d = producer.D;
        Producer kind = KindOf(d);
        int bits = InstructionFacts.OperandBits(in d.Instruction);
        string f = "f" + last;
        string sign = Hex(1u << (bits - 1));
        string a = f + "a", b = f + "b", r = f + "r", c = f + "c";

        // CF of the chain: INC/DEC keep the carry of the full producer before them.
        string Carry()
        {
            int k = chain.Count - 1;
            while (chain[k].D.PartialFlagWriter)
            {
                k--;
            }

            string g = "f" + k;
            return KindOf(chain[k].D) switch
            {
                Producer.Add => $"({g}r < {g}a)",
                Producer.Sub => $"({g}a < {g}b)",
                Producer.Adc => $"({g}r < {g}a || ({g}c != 0 && {g}r == {g}a))",
                Producer.Sbb => $"((ulong){g}a < (ulong){g}b + {g}c)",
                Producer.Multiply => $"({g}c != 0)",
                Producer.Shift => $"({g}a != 0)",
                _ => "false",
            };
        }

        string Zero() => $"({r} == 0)";
        string SignBit() => $"(({r} & {sign}) != 0)";
        string Overflow() => kind switch
        {
            Producer.Add or Producer.Adc => $"(((({a} ^ {r}) & ({b} ^ {r})) & {sign}) != 0)",
            Producer.Sub or Producer.Sbb => $"(((({a} ^ {b}) & ({a} ^ {r})) & {sign}) != 0)",
            Producer.Inc => $"({r} == {sign})",
            Producer.Dec => $"({a} == {sign})",
            Producer.Multiply => $"({c} != 0)",
            Producer.Shift => $"({b} != 0)",
            _ => "false",
        };
        string Signed(string v) => bits == 32 ? $"(int){v}" : $"((int)({v} << {32 - bits}))";

        // CMP/SUB: compare the operands themselves.
        if (kind == Producer.Sub)
        {
            switch (cc)
            {
                case 2: return $"{a} < {b}";
                case 4: return $"{a} == {b}";
                case 6: return $"{a} <= {b}";
                case 12: return $"{Signed(a)} < {Signed(b)}";
                case 14: return $"{Signed(a)} <= {Signed(b)}";
            }
        }

        if (kind == Producer.Logic)
        {
            switch (cc)
            {
                case 0: return "false";
                case 2: return "false";
                case 6: return Zero();
                case 12: return SignBit();
                case 14: return $"({Zero()} || {SignBit()})";
            }
        }

        return cc switch
        {
            0 => Overflow(),
            2 => Carry(),
            4 => Zero(),
            6 => $"({Carry()} || {Zero()})",
            8 => SignBit(),
            10 => $"X86Cpu.TcParity({r})",
            12 => $"({SignBit()} != {Overflow()})",
            _ => $"({Zero()} || {SignBit()} != {Overflow()})",
        };
    }
}
