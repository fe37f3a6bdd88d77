using System.Collections.Generic;
using Iced.Intel;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>
/// Condition flags. A flag-writing instruction keeps its operands in slot temporaries (<c>f0a, f0b, f0r, f0c</c>;
/// an INC/DEC after a full producer takes the next slot); they are recorded in the CPU's lazy-flag state only where
/// something may observe them: a region exit, a fault, a handler call, a reader after a label, or a jump to a label
/// whose flags are live. At every label the flags are in the CPU, so no temporary lives across a label (a loop's
/// back edge records them): the JIT then keeps the guest registers, not flag copies, in host registers through
/// loops. A Jcc/SETcc/CMOVcc/ADC/SBB right after its producer computes the condition directly.
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
    /// The flags pending at a point: the producers since the last label or handler call (oldest first, starting at
    /// the last full producer when there is one) over a dynamic base otherwise: the CPU's lazy-flag state, which is
    /// what every label has.
    /// </summary>
    private readonly struct Chain
    {
        public Chain(List<Node> producers, bool dynamicBase)
        {
            Producers = producers;
            DynamicBase = dynamicBase;
        }

        public List<Node> Producers { get; }

        public bool DynamicBase { get; }

        /// <summary>The temporaries slot of producer <paramref name="k"/>: slot 0 holds the base or the full producer.</summary>
        public int Slot(int k) => k;

        public int Slots => Producers.Count;
    }

    private Chain ChainAt(Node node, bool after)
    {
        var chain = new List<Node>();
        if (after)
        {
            if (node.D.LeavesFlagsInCpu)
            {
                return new Chain(chain, dynamicBase: true); // the flags are in the CPU
            }

            if (MethodPlan.IsProducer(node))
            {
                chain.Add(node);
                if (!node.D.PartialFlagWriter)
                {
                    return new Chain(chain, dynamicBase: false);
                }
            }
        }

        Node current = node;
        while (!current.Label && current.Index > 0)
        {
            Node previous = _plan.Nodes[current.Index - 1];
            if (previous.Next != current || previous.D.LeavesFlagsInCpu)
            {
                break;
            }

            if (MethodPlan.IsProducer(previous))
            {
                chain.Add(previous);
                if (!previous.D.PartialFlagWriter)
                {
                    chain.Reverse();
                    return new Chain(chain, dynamicBase: false);
                }
            }

            current = previous;
        }

        chain.Reverse();
        return new Chain(chain, dynamicBase: true);
    }

    /// <summary>
    /// A producer's flag operands as expressions over its slot's temporaries. Only what cannot be recomputed is
    /// kept (the result of ADD/SUB/INC/DEC is derived again from the operands), so fewer values stay live.
    /// </summary>
    private static (string A, string B, string R, string C) Operands(DecodedInstruction d, string f)
    {
        Producer kind = KindOf(d);
        int bits = InstructionFacts.OperandBits(in d.Instruction);
        if (kind == Producer.Shift)
        {
            // A shift keeps only its input: CF, OF and the result are derived again where they are observed.
            (string cf, string of, string result) = ShiftFlags(d.Instruction.Mnemonic, ShiftCount(in d.Instruction), f + "a");
            return (cf, of, result, "0u");
        }

        string fa = f + "a", fb = f + "b", fc = f + "c";
        string M(string e) => bits == 32 ? $"({e})" : $"(({e}){Mask(bits)})";
        return kind switch
        {
            Producer.Add => (fa, fb, M($"{fa} + {fb}"), "0u"),
            Producer.Sub => (fa, fb, M($"{fa} - {fb}"), "0u"),
            Producer.Adc => (fa, fb, M($"{fa} + {fb} + {fc}"), fc),
            Producer.Sbb => (fa, fb, M($"{fa} - {fb} - {fc}"), fc),
            Producer.Inc => (fa, "1u", M($"{fa} + 1u"), "0u"),
            Producer.Dec => (fa, "1u", M($"{fa} - 1u"), "0u"),
            Producer.Multiply => ("0u", "0u", fa, fc),
            _ => ("0u", "0u", fa, "0u"),
        };
    }

    /// <summary>The recorder call for producer kind <paramref name="kind"/> over slot <paramref name="f"/>'s temporaries.</summary>
    private static string Recorder(Producer kind, int bits, string a, string b, string r, string c) => kind switch
    {
        Producer.Add => $"cpu.TcFlagsAdd({bits}, {a}, {b}, {r});",
        Producer.Sub => $"cpu.TcFlagsSub({bits}, {a}, {b}, {r});",
        Producer.Adc => $"cpu.TcFlagsAdc({bits}, {a}, {b}, {r}, {c});",
        Producer.Sbb => $"cpu.TcFlagsSbb({bits}, {a}, {b}, {r}, {c});",
        Producer.Inc => $"cpu.TcFlagsInc({bits}, {a}, {r});",
        Producer.Dec => $"cpu.TcFlagsDec({bits}, {a}, {r});",
        Producer.Multiply => $"cpu.TcFlagsMultiply({bits}, {r}, {c} != 0);",
        Producer.Shift => $"cpu.TcFlagsShift({bits}, {r}, {a}, {b});",
        _ => $"cpu.TcFlagsLogic({bits}, {r});",
    };

    /// <summary>Statements that record the pending flags in the CPU at the point before (or after) <paramref name="node"/>.</summary>
    private string Materialize(Node node, bool after)
    {
        Chain chain = ChainAt(node, after);
        _maxChain = System.Math.Max(_maxChain, chain.Slots);
        var parts = new List<string>();

        for (int k = 0; k < chain.Producers.Count; k++)
        {
            DecodedInstruction d = chain.Producers[k].D;
            int bits = InstructionFacts.OperandBits(in d.Instruction);
            (string a, string b, string r, string c) = Operands(d, "f" + chain.Slot(k));
            parts.Add(Recorder(KindOf(d), bits, a, b, r, c));
        }

        return string.Join(" ", parts);
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

        Chain chain = ChainAt(node, after: true);
        int slot = chain.Slot(chain.Producers.Count - 1);
        _maxChain = System.Math.Max(_maxChain, slot + 1);
        string f = "f" + slot;
        var parts = new List<string>();
        void Set(string name, string value)
        {
            if (value != "")
            {
                parts.Add($"{f}{name} = {value};");
            }
        }

        switch (KindOf(node.D))
        {
            case Producer.Add:
            case Producer.Sub:
            case Producer.Adc:
            case Producer.Sbb:
                Set("a", a);
                Set("b", b);
                Set("c", c);
                break;
            case Producer.Inc:
            case Producer.Dec:
                Set("a", a);
                break;
            case Producer.Multiply:
                Set("a", r);
                Set("c", c);
                break;
            case Producer.Shift:
                Set("a", a); // the input: see Operands
                break;
            default:
                Set("a", r);
                break;
        }

        W.Line(string.Join(" ", parts));
    }

    /// <summary>Records the current instruction's own flags from its locals (a store that stops the code after it).</summary>
    private static string RecordOwn(Node node, string a, string b, string r, string c) =>
        Recorder(KindOf(node.D), InstructionFacts.OperandBits(in node.D.Instruction), a, b, r, c);

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

        Chain chain = ChainAt(node, after: false);
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

    private static string DirectCondition(Chain chain, int cc)
    {
        int last = chain.Producers.Count - 1;
        Node producer = chain.Producers[last];
        DecodedInstruction d = producer.D;
        Producer kind = KindOf(d);
        int bits = InstructionFacts.OperandBits(in d.Instruction);
        string sign = Hex(1u << (bits - 1));
        (string a, string b, string r, string c) = Operands(d, "f" + chain.Slot(last));

        // CF of the chain: INC/DEC keep the carry of the full producer before them.
        string Carry()
        {
            int k = chain.Producers.Count - 1;
            while (chain.Producers[k].D.PartialFlagWriter)
            {
                k--;
            }

            Producer full = KindOf(chain.Producers[k].D);
            (string ga, string gb, string gr, string gc) = Operands(chain.Producers[k].D, "f" + chain.Slot(k));
            return full switch
            {
                Producer.Add => $"({gr} < {ga})",
                Producer.Sub => $"({ga} < {gb})",
                Producer.Adc => $"({gr} < {ga} || ({gc} != 0 && {gr} == {ga}))",
                Producer.Sbb => $"((ulong){ga} < (ulong){gb} + {gc})",
                Producer.Multiply => $"({gc} != 0)",
                Producer.Shift => $"({ga} != 0)",
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
