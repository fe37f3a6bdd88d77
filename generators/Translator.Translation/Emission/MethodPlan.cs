using System.Collections.Generic;
using Iced.Intel;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>One instruction placed in a translated method, with what the flag analysis decided for it.</summary>
internal sealed class Node
{
    public Node(DecodedInstruction d, int index)
    {
        D = d;
        Index = index;
    }

    public DecodedInstruction D { get; }

    public int Index { get; }

    /// <summary>Reached by a goto or entered from outside: the flag state is not known statically here.</summary>
    public bool Label { get; set; }

    /// <summary>Entered from outside (the dispatch switch has a case for it).</summary>
    public bool Entry { get; set; }

    /// <summary>The in-method successor on fall-through, or null when fall-through leaves the method.</summary>
    public Node? Next { get; set; }

    /// <summary>The in-method branch target, or null when the target lies outside the method.</summary>
    public Node? Target { get; set; }

    /// <summary>The interpreter would end its block after this instruction: the budget is checked here.</summary>
    public bool BudgetCheck { get; set; }

    /// <summary>Flags needed in the CPU's lazy state on entry to this instruction (liveness).</summary>
    public int LiveIn { get; set; }

    public int LiveOut { get; set; }

    public int TrueLiveIn { get; set; }

    /// <summary>Flags something may observe after this instruction before they are overwritten.</summary>
    public int TrueLiveOut { get; set; }

    /// <summary>A flag reader that uses the pending producer's operands directly instead of the CPU's flag state.</summary>
    public bool Direct { get; set; }
}

/// <summary>
/// The shape of one translated method (code of one page, or of a function over two): nodes in address order,
/// in-method edges, labels, entries, budget checks, and condition-flag liveness (a backward pass): flags that are
/// overwritten before anything could observe them are never recorded; a Jcc/SETcc/CMOVcc/ADC/SBB right after its
/// producer reads its operands.
/// </summary>
internal sealed class MethodPlan
{
    /// <summary>The interpreter's block length limit (the same source file as the machine's).</summary>
    private const int MaxBlockInstructions = Translator.Machine.Decoders.BlockBoundary.MaxInstructions;

    private readonly Dictionary<uint, Node> _byIp = new Dictionary<uint, Node>();

    public MethodPlan(PageCode page)
    {
        Page = page;
        Dictionary<uint, Node> byIp = _byIp;
        foreach (DecodedInstruction d in page.Instructions)
        {
            var node = new Node(d, Nodes.Count);
            Nodes.Add(node);
            byIp[d.Ip] = node;
        }

        foreach (Node node in Nodes)
        {
            DecodedInstruction d = node.D;
            bool leaves = d.Hypercall is HypercallSite.Call or HypercallSite.Int
                ? false // a direct hypercall comes back after the site (RegionEmitter.Hypercalls)
                : d.IsFallback ? d.Flow != FlowControl.Next || d.EndsInterpreterBlock : d.Flow is not (FlowControl.Next or FlowControl.ConditionalBranch);
            if (!leaves)
            {
                node.Next = byIp.TryGetValue(d.NextIp, out Node? next) ? next : null;
            }

            if (!d.IsFallback && d.Flow is FlowControl.ConditionalBranch or FlowControl.UnconditionalBranch && d.DirectTarget is uint target
                && byIp.TryGetValue(target, out Node? t))
            {
                node.Target = t;
                t.Label = true;
            }

            if (page.Entries.Contains(d.Ip))
            {
                node.Entry = true;
                node.Label = true;
            }
        }

        // Code reached only by jumps (after a return, a jump, or an exit) starts with a label, and so does a
        // successor that is not the next node in address order (an entry decoded inside a longer instruction sits
        // between an instruction and its successor, which both then fall into).
        for (int k = 0; k < Nodes.Count; k++)
        {
            if (k == 0 || Nodes[k - 1].Next != Nodes[k])
            {
                Nodes[k].Label = true;
            }

            if (Nodes[k].Next is { } next && next.Index != k + 1)
            {
                next.Label = true;
            }
        }

        MarkBudgetChecks();
        DecideForms();
    }

    public PageCode Page { get; }

    /// <summary>The node entered from outside at <paramref name="ip"/>, or null when the method has no entry there.</summary>
    public Node? EntryAt(uint ip) => _byIp.TryGetValue(ip, out Node? node) && node.Entry ? node : null;

    public List<Node> Nodes { get; } = new List<Node>();

    /// <summary>
    /// The interpreter checks interrupts and the budget after each of its blocks: after a control transfer or a
    /// block-ending instruction, and after 64 instructions. Translated code checks at the same places, so
    /// interrupts arrive at the same instruction as on the interpreter. Instructions right after a block end become
    /// entries too (a check that stops resumes there), unless they read the flags of the instruction before, or lie
    /// inside a loop's body and are not themselves a loop's head: an entry there is a second way into the loop,
    /// which the JIT cannot treat as a loop at all (no loop weights for its register allocation). A stop there
    /// resumes on the interpreter, which comes back to translated code at the innermost loop head it reaches, at
    /// most one iteration later.
    /// </summary>
    private void MarkBudgetChecks()
    {
        int run = 0;
        foreach (Node node in Nodes)
        {
            run = node.Label ? System.Math.Max(run, 0) : run;
            run++;
            // The interpreter's blocks also end where a page does (a method may hold code of two pages).
            bool pageEnds = node.D.NextIp >> 12 != node.D.Ip >> 12;
            if (node.D.EndsInterpreterBlock || pageEnds || run >= MaxBlockInstructions)
            {
                node.BudgetCheck = true;
                run = 0;
            }

            if (node.Next is null || node.Next.Index != node.Index + 1)
            {
                run = 0;
            }
        }

        (bool[] inLoopBody, bool[] loopHead) = Loops();
        foreach (Node node in Nodes)
        {
            if (node.BudgetCheck)
            {
                foreach (Node? after in new[] { node.Next, node.Target })
                {
                    if (after is not null && (!inLoopBody[after.Index] || loopHead[after.Index]) && after.D.Condition < 0
                        && after.D.Instruction.Mnemonic is not (Mnemonic.Adc or Mnemonic.Sbb))
                    {
                        after.Entry = true;
                        after.Label = true;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Loops, by address order (how compilers lay them out): a backward branch's target is a loop's head, and the
    /// nodes after it up to the branch are its body.
    /// </summary>
    private (bool[] InBody, bool[] Head) Loops()
    {
        var inBody = new bool[Nodes.Count];
        var head = new bool[Nodes.Count];
        foreach (Node node in Nodes)
        {
            if (node.Target is Node target && target.Index <= node.Index)
            {
                head[target.Index] = true;
                for (int k = target.Index + 1; k <= node.Index; k++)
                {
                    inBody[k] = true;
                }
            }
        }

        return (inBody, head);
    }

    /// <summary>
    /// Liveness to a fixed point; InlineWhenFlagsDead forms whose flags turn out live become handler calls, which
    /// changes liveness again (monotonically), so the loop ends.
    /// </summary>
    private void DecideForms()
    {
        while (true)
        {
            MarkDirectReaders();
            ComputeLiveness();
            bool changed = false;
            foreach (Node node in Nodes)
            {
                if (node.D.Form == Form.InlineWhenFlagsDead && (node.TrueLiveOut & InstructionFacts.FlagsTouched(in node.D.Instruction)) != 0)
                {
                    // A shift by CL can record its own flags; the others go to their handler.
                    bool shiftByCl = node.D.Instruction.Mnemonic is Mnemonic.Shl or Mnemonic.Shr or Mnemonic.Sar;
                    node.D.Form = shiftByCl ? Form.InlineRecordingFlags : Form.Fallback;
                    changed = true;
                }
            }

            if (!changed)
            {
                return;
            }
        }
    }

    /// <summary>The full producer of the flags pending at <paramref name="node"/> (no label or other writer between), if any.</summary>
    public Node? PendingProducer(Node node)
    {
        Node? current = node;
        while (true)
        {
            if (current.Label || current.Index == 0)
            {
                return null;
            }

            Node previous = Nodes[current.Index - 1];
            if (previous.Next != current)
            {
                return null;
            }

            if (IsProducer(previous))
            {
                return previous.D.PartialFlagWriter ? null : previous;
            }

            if (WritesFlagsOpaquely(previous))
            {
                return null;
            }

            current = previous;
        }
    }

    /// <summary>The producer whose flags are pending at <paramref name="node"/>, partial writers (INC/DEC) included.</summary>
    public Node? LastProducer(Node node)
    {
        Node current = node;
        while (!current.Label && current.Index > 0)
        {
            Node previous = Nodes[current.Index - 1];
            if (previous.Next != current || WritesFlagsOpaquely(previous))
            {
                return null;
            }

            if (IsProducer(previous))
            {
                return previous;
            }

            current = previous;
        }

        return null;
    }

    /// <summary>An inline instruction that records flags through the pending-producer mechanism.</summary>
    public static bool IsProducer(Node node) => node.D.Form == Form.Inline && node.D.FlagsWritten != 0;

    /// <summary>Changes the flags in a way the pending mechanism cannot follow (a handler call, a shift by CL).</summary>
    private static bool WritesFlagsOpaquely(Node node) => node.D.LeavesFlagsInCpu;

    private void MarkDirectReaders()
    {
        foreach (Node node in Nodes)
        {
            node.Direct = false;
            int reads = FlagReads(node.D);
            if (reads == 0 || node.D.LeavesFlagsInCpu)
            {
                continue;
            }

            Node? producer = LastProducer(node);
            if (producer is null)
            {
                continue;
            }

            // INC/DEC do not write CF: a reader of CF looks further back, to the full producer before them.
            bool needsCarry = (reads & Flags.CF) != 0;
            node.Direct = !needsCarry || !producer.D.PartialFlagWriter || PendingProducer(node) is not null;
        }
    }

    /// <summary>Flags an inline instruction reads (condition codes, ADC/SBB carry).</summary>
    public static int FlagReads(DecodedInstruction d)
    {
        if (d.Condition >= 0)
        {
            return Flags.ReadBy(d.Condition);
        }

        return d.Instruction.Mnemonic is Mnemonic.Adc or Mnemonic.Sbb ? Flags.CF : 0;
    }

    /// <summary>
    /// Two backward liveness passes to a fixed point. <see cref="Node.LiveIn"/>: flags needed in the CPU's lazy
    /// state. Handler calls, faults, exits and indirect readers observe every flag, but those after a full producer
    /// in the same straight line are served by it (its operands are at hand: the observer records them), so what
    /// reaches a label is what the jumps to it must record first. <see cref="Node.TrueLiveOut"/>: flags anything
    /// could observe before they are overwritten, which decides whether a form may drop the flags it would change.
    /// </summary>
    private void ComputeLiveness()
    {
        foreach (Node node in Nodes)
        {
            node.LiveIn = 0;
            node.LiveOut = 0;
            node.TrueLiveIn = 0;
            node.TrueLiveOut = 0;
        }

        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int k = Nodes.Count - 1; k >= 0; k--)
            {
                Node node = Nodes[k];
                bool exits = node.Next is null || node.BudgetCheck || (node.D.Flow == FlowControl.ConditionalBranch && node.Target is null);
                int liveOut = exits ? Flags.All : 0, trueOut = liveOut;
                if (node.Next is not null)
                {
                    liveOut |= node.Next.LiveIn;
                    trueOut |= node.Next.TrueLiveIn;
                }

                if (node.Target is not null)
                {
                    liveOut |= node.Target.LiveIn;
                    trueOut |= node.Target.TrueLiveIn;
                }

                DecodedInstruction d = node.D;
                bool observes = d.LeavesFlagsInCpu || d.CanFault;
                int reads = FlagReads(d);
                int liveIn;
                if (observes)
                {
                    liveIn = Flags.All;
                }
                else if (IsProducer(node) && !d.PartialFlagWriter)
                {
                    liveIn = node.Direct ? 0 : reads;
                }
                else if (IsProducer(node))
                {
                    liveIn = liveOut == 0 ? 0 : Flags.All; // INC/DEC record CF from the state before them
                }
                else if (d.Form == Form.InlineWhenFlagsDead)
                {
                    liveIn = liveOut;
                }
                else
                {
                    liveIn = liveOut | (node.Direct ? 0 : reads);
                }

                int written = d.IsFallback ? 0 : d.FlagsWritten;
                int trueIn = observes ? Flags.All : (trueOut & ~written) | reads;
                if (liveIn != node.LiveIn || liveOut != node.LiveOut || trueIn != node.TrueLiveIn || trueOut != node.TrueLiveOut)
                {
                    node.LiveIn = liveIn;
                    node.LiveOut = liveOut;
                    node.TrueLiveIn = trueIn;
                    node.TrueLiveOut = trueOut;
                    changed = true;
                }
            }
        }
    }
}
