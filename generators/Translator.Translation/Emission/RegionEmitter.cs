using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Iced.Intel;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>
/// Emits one translated method: the code of one page, entered through a dispatch on EIP at any of its entries.
/// Guest registers live in locals, and every write also goes through to the CPU, so exits, slow paths and faults
/// never store registers; intra-page branches are gotos; the instructions left in the budget are counted down in
/// <c>left</c>, flushed at labels, so that a fault knows how many retired before it. Exits to other translated code
/// chain into it directly (see <see cref="ChainTargets"/>).
/// </summary>
internal sealed partial class RegionEmitter
{
    private static readonly string[] s_reg32 = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

    private readonly MethodPlan _plan;
    private readonly CodeWriter _w;
    private readonly FallbackTable _fallbacks;
    private readonly Formatter _formatter;
    private readonly ChainTargets _chains;
    private readonly bool _aggressiveOptimization;

    /// <summary>Registers the method writes (written back at exits) and uses (loaded at entry).</summary>
    private readonly bool[] _written = new bool[8];
    private readonly bool[] _used = new bool[8];


    /// <summary>Instructions retired since the last flush of <c>n</c> on the current path.</summary>
    private int _pending;
    private int _maxChain = 1;

    public RegionEmitter(MethodPlan plan, CodeWriter writer, FallbackTable fallbacks, Formatter formatter, ChainTargets chains, bool aggressiveOptimization)
    {
        _chains = chains;
        _aggressiveOptimization = aggressiveOptimization;
        _plan = plan;
        _w = writer;
        _fallbacks = fallbacks;
        _formatter = formatter;
    }

    public string MethodName => ChainTargets.MethodName(_plan);

    public int Instructions => _plan.Nodes.Count;

    public void Emit()
    {
        // Twice: the first pass learns which registers the method uses (loaded at entry, reloaded after handlers), the
        // second emits with that knowledge. Emission is deterministic, so both passes make the same decisions.
        _writesByNode = new int[_plan.Nodes.Count];
        CodeWriter body = EmitBody();
        MarkAllUsed();
        _writesKnown = true;
        body = EmitBody();
        string text = HoistDeclarations(body.ToString(), out string declarations);

        _current = _w;
        if (_aggressiveOptimization)
        {
            _w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        }

        // The dispatcher entered the first method of a chain with budget instructions to run; left of them remain
        // (a count down keeps one register for it in loops); budget - left have retired.
        _w.Open($"private static int {MethodName}(X86Cpu cpu, int budget, int left, int depth)");
        _w.Line("ref uint regs = ref cpu.TcRegisters;");
        for (int r = 0; r < 8; r++)
        {
            if (_used[r])
            {
                _w.Line($"uint {s_reg32[r]} = Unsafe.Add(ref regs, {r});");
            }
        }

        for (int slot = 0; slot < _maxChain; slot++)
        {
            _w.Line($"uint f{slot}a = 0, f{slot}b = 0, f{slot}c = 0;");
        }

        _w.Line("uint* tlb = cpu.Mmu.TcTlb;");
        _w.Line("uint* te = null;");
        if (declarations.Length > 0)
        {
            _w.Line(declarations);
        }

        _w.Open("switch (cpu.Eip)");
        foreach (string entry in EntryCases())
        {
            _w.Line(entry);
        }

        _w.Close();
        _w.Line($"throw new System.InvalidOperationException(\"translated code at 0x{_plan.Nodes[0].D.Ip:X8} entered at an address that is not one of its entries\");");
        _w.Raw(text);
        _w.Label("Exit");
        _w.Line("return budget - left;");
        _w.Close();
        _w.Line();
    }

    private static readonly System.Text.RegularExpressions.Regex s_declaration =
        new System.Text.RegularExpressions.Regex(@"(?<!ref )\b(uint|ulong|long|int|bool) ([a-z]\w*) = ");

    /// <summary>
    /// Turns every per-instruction declaration into an assignment of one method-level local per name, so the method
    /// has a few dozen locals however long it is (the JIT only keeps a bounded number of locals in registers).
    /// </summary>
    private static string HoistDeclarations(string body, out string declarations)
    {
        var types = new SortedDictionary<string, string>(System.StringComparer.Ordinal);
        string text = s_declaration.Replace(body, match =>
        {
            string type = match.Groups[1].Value, name = match.Groups[2].Value;
            if (types.TryGetValue(name, out string? known) && known != type)
            {
                throw new System.InvalidOperationException($"translator bug: local {name} is both {known} and {type}");
            }

            types[name] = type;
            return name + " = ";
        });
        declarations = string.Join(" ", types.Select(t => $"{t.Value} {t.Key} = {(t.Value == "bool" ? "false" : "0")};"));
        return text;
    }

    private CodeWriter EmitBody()
    {
        var body = new CodeWriter();
        body.Indent().Indent();
        _current = body;
        _pending = 0;
        _dispatches = false;
        foreach (Node node in _plan.Nodes)
        {
            EmitNode(node);
        }

        if (_dispatches)
        {
            EmitDispatch();
        }

        return body;
    }

    private CodeWriter _current = null!;

    private CodeWriter W => _current;

    /// <summary>A register the method writes is also loaded (partial writes keep the other bits).</summary>
    private void MarkAllUsed()
    {
        // A register the method writes is loaded too (partial writes keep its other bits).
        for (int r = 0; r < 8; r++)
        {
            _used[r] |= _written[r];
        }
    }

    private void EmitNode(Node node)
    {
        _node = node;
        DecodedInstruction d = node.D;
        if (node.Label)
        {
            // Every way into a label has flushed its count into n.
            _pending = 0;
            if (TracksBlockStart)
            {
                // A jump or an entry starts an interpreter block here; falling in from above continues the block.
                Node? above = node.Index > 0 ? _plan.Nodes[node.Index - 1] : null;
                bool continuesBlock = above is not null && above.Next == node && !above.BudgetCheck;
                if (continuesBlock)
                {
                    W.Line($"goto {LabelOf(node)}_in;");
                }

                W.Label(LabelOf(node));
                W.Line("int blockStart = budget - left;");
                if (continuesBlock)
                {
                    W.Label(LabelOf(node) + "_in");
                }
            }
            else
            {
                W.Label(LabelOf(node));
            }
        }

        W.Line($"// 0x{d.Ip:X8}  {Format(d)}");
        if (d.IsFallback)
        {
            EmitFallback(node);
        }
        else
        {
            EmitInline(node);
        }
    }

    private string Format(DecodedInstruction d)
    {
        var output = new StringOutput();
        _formatter.Format(in d.Instruction, output);
        return output.ToStringAndReset().Replace("\n", " ");
    }

    public static string LabelOf(Node node) => $"L_{node.D.Ip:X8}";

    public static string Hex(uint value) => "0x" + value.ToString("X8", CultureInfo.InvariantCulture) + "u";

    // ---- control-flow plumbing ------------------------------------------------------------------------------------

    /// <summary>Counts the current instruction as retired (it completed).</summary>
    private void Retire() => _pending++;

    /// <summary>Continues at the fall-through successor after the current instruction (<paramref name="budgetChecked"/>: its block-end check is done).</summary>
    private void FallThrough(Node node, bool budgetChecked = false)
    {
        if (node.BudgetCheck)
        {
            if (!budgetChecked)
            {
                Flush();
                W.Line("if (left <= 0)");
                EmitExitBlock(Hex(node.D.NextIp), node, chainAfter: true);
            }

            if (TracksBlockStart)
            {
                W.Line("int blockStart = budget - left;");
            }
        }

        if (node.Next is null)
        {
            EmitExit(Hex(node.D.NextIp), node, chainAfter: true, ExitChain.To(node.D.NextIp));
            return;
        }

        bool adjacent = node.Index + 1 < _plan.Nodes.Count && _plan.Nodes[node.Index + 1] == node.Next;
        if (adjacent && !node.Next.Label)
        {
            return;
        }

        JumpTo(node.Next, node);
    }

    /// <summary>A goto to an in-method node (or a plain fall into it): records pending flags it needs, flushes n.</summary>
    private void JumpTo(Node target, Node from)
    {
        if (target.LiveIn != 0)
        {
            string materialize = Materialize(from, after: true);
            if (materialize.Length > 0)
            {
                W.Line(materialize);
            }
        }

        Flush();
        bool adjacent = from.Index + 1 < _plan.Nodes.Count && _plan.Nodes[from.Index + 1] == target;
        if (!adjacent)
        {
            W.Line($"goto {LabelOf(target)};");
        }
    }

    private void Flush()
    {
        if (_pending > 0)
        {
            W.Line($"left -= {_pending};");
            _pending = 0;
        }
    }

    /// <summary>
    /// Leaves the method with EIP = <paramref name="eip"/> (null: already set by a handler); <paramref name="chain"/>
    /// says whether it may continue straight into the translated method at the target.
    /// </summary>
    private void EmitExit(string? eip, Node node, bool chainAfter, ExitChain chain = default) => W.Line(ExitStatements(eip, node, chainAfter, chain));

    /// <summary>
    /// One line: record pending flags, count, set EIP, then go on in translated code where that may be done
    /// (<see cref="Continuation"/>, <see cref="EmitDispatch"/>: QEMU's goto_tb) or leave (registers are already in the CPU, written through).
    /// </summary>
    private string ExitStatements(string? eip, Node node, bool chainAfter, ExitChain chain = default)
    {
        var parts = new List<string>();
        string materialize = Materialize(node, chainAfter);
        if (materialize.Length > 0)
        {
            parts.Add(materialize);
        }

        if (_pending > 0)
        {
            parts.Add($"left -= {_pending};");
        }

        if (eip is not null)
        {
            parts.Add($"cpu.Eip = {eip};");
            if (chain.Dynamic)
            {
                // A run-time target: looked up in the method's Dispatch block, which leaves through Exit itself.
                _dispatches = true;
                parts.Add($"uint target = {eip}; goto Dispatch;");
                return string.Join(" ", parts);
            }

            if (Continuation(chain) is string goOn)
            {
                parts.Add(goOn);
            }
        }

        parts.Add("goto Exit;");
        return string.Join(" ", parts);
    }

    /// <summary>
    /// How an exit to a static target may go on instead of returning: a target in this method is a goto (the flags
    /// are in the CPU then, as at any label); a target in another method is a tail call into it, or for a CALL whose
    /// return address is an entry here, a host call that comes back there; null when neither. (A run-time target goes
    /// to <see cref="EmitDispatch"/>.)
    /// </summary>
    private string? Continuation(ExitChain chain)
    {
        if (chain.Target is not uint target)
        {
            return null;
        }

        if (_plan.EntryAt(target) is Node here)
        {
            return $"if (left > 0) goto {LabelOf(here)};";
        }

        if (_chains.MethodAt(target) is not (int method, string name))
        {
            return null;
        }

        string call = chain.ReturnTo is uint back && _plan.EntryAt(back) is Node after
            ? $"uint outer = cpu.TcReturnTo; cpu.TcReturnTo = {Hex(back)}; int done = {name}(cpu, budget, left, depth + 1); "
                + $"cpu.TcReturnTo = outer; if (cpu.Eip != {Hex(back)} || done >= budget || cpu.TcStopRequested) return done; "
                + $"left = budget - done; {Fill()} goto {LabelOf(after)};"
            : $"return {name}(cpu, budget, left, depth + 1);";
        return $"if ({Chainable}{ChainTargets.MaxDepth} && cpu.TcChainable({method})) {{ {call} }}";
    }

    /// <summary>One <c>case</c> per entry of the method, to its label.</summary>
    private List<string> EntryCases() => _plan.Nodes.Where(x => x.Entry).Select(x => $"case {Hex(x.D.Ip)}: goto {LabelOf(x)};").ToList();

    /// <summary>The condition for going on into another method instead of returning to the dispatcher.</summary>
    private const string Chainable = "left > 0 && depth < ";

    /// <summary>The method has run-time targets (RET, indirect jumps and calls) and so a <c>Dispatch</c> block.</summary>
    private bool _dispatches;

    /// <summary>
    /// The one place a method looks up a run-time target (<c>target</c>, EIP already set): back to a host call that
    /// expects it, then among this method's entries, then the image's <c>ChainTo</c>. One block per method rather
    /// than a switch at every RET keeps a method of many small functions within the JIT's limits (a method of over
    /// 2,000 basic blocks is compiled without optimizations at run time: printf..strcmp in one method had 456 cases).
    /// </summary>
    private void EmitDispatch()
    {
        W.Label("Dispatch");
        W.Line("if (target == cpu.TcReturnTo) goto Exit;");
        List<string> cases = EntryCases();
        if (cases.Count > 0)
        {
            W.Line($"if (left > 0) switch (target) {{ {string.Join(" ", cases)} }}");
        }

        if (_chains.Any)
        {
            W.Line($"if ({Chainable}{ChainTargets.MaxDepth}) {{ return ChainTo(cpu, budget, left, depth); }}");
        }

        W.Line("goto Exit;");
    }

    private void EmitExitBlock(string? eip, Node node, bool chainAfter) => W.Line("{ " + ExitStatements(eip, node, chainAfter) + " }");

    /// <summary>One line reloading every register a handler may have changed.</summary>
    private string Fill()
    {
        var parts = new List<string> { "ref uint fill = ref cpu.TcRegisters;" };
        for (int r = 0; r < 8; r++)
        {
            if (_used[r])
            {
                parts.Add($"{s_reg32[r]} = Unsafe.Add(ref fill, {r});");
            }
        }

        return "{ " + string.Join(" ", parts) + " }";
    }

    /// <summary>
    /// What precedes a slow path that may fault (a TLB miss, a handler call): pending flags go to the CPU (registers
    /// are there already, written through) and the instruction is announced, so a fault unwinds to the interpreter
    /// with precise state.
    /// </summary>
    private string SlowPathEntry(Node node)
    {
        string materialize = Materialize(node, after: false);
        return (materialize.Length > 0 ? materialize + " " : "")
            + $"cpu.TcFaultPoint({Hex(node.D.Ip)}, budget - left + {_pending});";
    }

    /// <summary>
    /// What follows a slow path that returned: the registers and the TLB pointer are read back from the CPU (where
    /// they are already, written through), so no guest register is live across the call. The JIT then need not keep
    /// them in the few callee-saved registers, or spill them in the hot path, for a path that almost never runs.
    /// </summary>
    private string SlowPathExit() => ReloadTlb + " " + Fill();

    /// <summary>A handler or the MMU's slow path may have replaced the TLB: the pointer is read again after either.</summary>
    private const string ReloadTlb = "tlb = cpu.Mmu.TcTlb;";

    // ---- handler calls -------------------------------------------------------------------------------------------

    private void EmitFallback(Node node)
    {
        DecodedInstruction d = node.D;
        if (d.Hypercall != HypercallSite.None)
        {
            EmitHypercall(node);
            return;
        }

        EmitHandlerCall(node);
        Retire();
        bool leaves = d.Flow != FlowControl.Next || d.EndsInterpreterBlock;
        if (leaves)
        {
            EmitExit(null, node, chainAfter: true);
            return;
        }

        W.Line($"if (cpu.TcStopRequested || cpu.Eip != {Hex(d.NextIp)})");
        EmitExitBlock(null, node, chainAfter: true);
        FallThrough(node);
    }

    /// <summary>Runs the current instruction through its shared handler: flags and registers go to the CPU first.</summary>
    private void EmitHandlerCall(Node node)
    {
        int index = _fallbacks.Add(node.D);
        W.Line("{");
        W.Indent();
        W.Line(SlowPathEntry(node));
        W.Line($"Fallbacks.Ops[{index}].Execute(cpu);");
        W.Line("cpu.TcFaultPointPassed(); " + ReloadTlb);
        W.Line(Fill());
        W.Outdent();
        W.Line("}");
    }

}
