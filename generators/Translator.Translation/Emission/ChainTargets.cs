using System.Collections.Generic;
using System.Linq;

namespace Translator.Translation.Emission;

/// <summary>How an exit may continue: not at all (back to the dispatcher), into a known address, or into any entry.</summary>
internal readonly struct ExitChain
{
    private ExitChain(uint? target, bool dynamic, uint? returnTo)
    {
        Target = target;
        Dynamic = dynamic;
        ReturnTo = returnTo;
    }

    public uint? Target { get; }

    /// <summary>A CALL's return address: a target in another method may run as a host call that returns here.</summary>
    public uint? ReturnTo { get; }

    public static ExitChain Call(uint target, uint returnTo) => new ExitChain(target, dynamic: false, returnTo);

    public bool Dynamic { get; }

    public static ExitChain To(uint target) => new ExitChain(target, dynamic: false, returnTo: null);

    /// <summary>A target known only at run time (RET, indirect JMP/CALL): looked up among every entry.</summary>
    public static ExitChain Any => new ExitChain(null, dynamic: true, returnTo: null);
}

/// <summary>
/// The entries of every translated method of an image, so that an exit whose target is one of them continues
/// straight into that method (QEMU's direct block chaining) instead of returning to the interpreter's dispatch.
/// The machine says at run time whether the target method still matches memory (<c>cpu.TcChainable</c>); a chain is
/// a tail call, and at most <see cref="MaxDepth"/> methods chain before control returns to the dispatcher.
/// </summary>
internal sealed class ChainTargets
{
    /// <summary>Chained calls before returning to the dispatcher (bounds the host stack if the JIT does not tail-call).</summary>
    public const int MaxDepth = 64;

    private readonly Dictionary<uint, int> _methodOf = new Dictionary<uint, int>();
    private readonly List<string> _names = new List<string>();

    /// <param name="plans">Every method of the image by index; null for one not emitted (a group of hot methods), which nothing chains into.</param>
    public ChainTargets(IReadOnlyList<MethodPlan?> plans)
    {
        var ambiguous = new HashSet<uint>();
        for (int m = 0; m < plans.Count; m++)
        {
            if (plans[m] is not MethodPlan plan)
            {
                _names.Add("");
                continue;
            }

            _names.Add(MethodName(plan));
            foreach (Node node in plan.Nodes.Where(n => n.Entry))
            {
                if (!_methodOf.ContainsKey(node.D.Ip) && !ambiguous.Contains(node.D.Ip))
                {
                    _methodOf[node.D.Ip] = m;
                }
                else
                {
                    _methodOf.Remove(node.D.Ip);
                    ambiguous.Add(node.D.Ip);
                }
            }
        }
    }

    public static string MethodName(MethodPlan plan) => $"Region_{plan.Page.Instructions[0].Ip:X8}";

    /// <summary>The method with an entry at <paramref name="ip"/> (unless several have one): its index and name.</summary>
    public (int Index, string Name)? MethodAt(uint ip) => _methodOf.TryGetValue(ip, out int m) ? (m, _names[m]) : null;

    /// <summary>Whether any method can be chained into (else the image has no <c>ChainTo</c>).</summary>
    public bool Any => _methodOf.Count > 0;

    /// <summary>
    /// The image's dispatch for run-time targets: the method holding EIP as an entry, if it may be entered;
    /// otherwise it returns to the interpreter with the state already stored.
    /// </summary>
    public void EmitDispatch(CodeWriter w)
    {
        if (_methodOf.Count == 0)
        {
            return;
        }

        w.Line("/// <summary>Continues at EIP (registers and flags already in the CPU) in the method with that entry, or returns.</summary>");
        w.Open("private static int ChainTo(X86Cpu cpu, int budget, int left, int depth)");
        w.Open("switch (cpu.Eip)");
        foreach (IGrouping<int, KeyValuePair<uint, int>> method in _methodOf.GroupBy(e => e.Value).OrderBy(g => g.Key))
        {
            foreach (KeyValuePair<uint, int> entry in method.OrderBy(e => e.Key))
            {
                w.Line($"case {RegionEmitter.Hex(entry.Key)}:");
            }

            w.Line($"    return cpu.TcChainable({method.Key}) ? {_names[method.Key]}(cpu, budget, left, depth + 1) : budget - left;");
        }

        w.Close();
        w.Line("return budget - left;");
        w.Close();
        w.Line();
    }
}
