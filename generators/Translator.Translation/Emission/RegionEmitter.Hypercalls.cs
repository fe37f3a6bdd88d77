using System.Linq;
using Iced.Intel;
using Translator.Paravirt.Abi;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>
/// PV hypercall sites as direct calls into the VMM (<c>cpu.TcHypercall</c>): no <c>int 0x82</c>, no exception
/// delivery, no decoding of the hypercall page's stub. What the guest and the VMM observe is what the interpreter path
/// gives them: the call's push and the stub's ret happen, the budget is checked where the interpreter's blocks end
/// (after the call, after the int 0x82), and the VMM sees the retired count and virtual clock of the start of the
/// block that holds the int 0x82 (the interpreter adds a block's instructions when the block ends).
/// </summary>
internal sealed partial class RegionEmitter
{
    /// <summary>The method holds a literal int 0x82, whose block start is tracked in <c>blockStart</c>.</summary>
    private bool TracksBlockStart => _tracksBlockStart ??= _plan.Nodes.Any(n => n.D.Hypercall == HypercallSite.Int);

    private bool? _tracksBlockStart;

    private void EmitHypercall(Node node)
    {
        DecodedInstruction d = node.D;
        int n = d.HypercallNumber;
        W.Line(n >= 0
            ? $"// hypercall {n} {HypercallSites.NameOf(n)} (direct call: no int 0x82, no exception delivery)"
            : "// hypercall EAX (int 0x82 as a direct call; from ring 3 the #GP it raises)");
        switch (d.Hypercall)
        {
            case HypercallSite.Int:
                _used[0] = true;
                W.Line("{");
                W.Indent();
                W.Line(SlowPathEntry(node));
                W.Line($"cpu.Eip = {Hex(d.NextIp)};");
                W.Line("cpu.TcHypercall(eax, blockStart);");
                W.Line("cpu.TcFaultPointPassed(); " + SlowPathExit());
                W.Outdent();
                W.Line("}");
                Retire();
                AfterHypercall(node, d.NextIp);
                FallThrough(node);
                return;
            case HypercallSite.Call:
                EmitStubCall(node, (uint)n);
                return;
            default:
                EmitIretJump(node);
                return;
        }
    }

    /// <summary><c>call page + 32n</c>: the call, the stub's <c>mov eax, n; int 0x82</c> as one direct call, the stub's ret.</summary>
    private void EmitStubCall(Node node, uint n)
    {
        DecodedInstruction d = node.D;
        uint stub = d.DirectTarget ?? 0;
        uint afterInt = stub + HypercallStub.RetOffset;
        _used[4] = true;
        W.Line("{");
        W.Indent();
        W.Line("uint sp = esp - 4u;");
        WriteMemoryFrom(node, "sp", Hex(d.NextIp), 32, onStop: null);
        WriteRegister(Register.ESP, "esp - 4u");
        W.Outdent();
        W.Line("}");
        Retire();
        EnterStub(node, stub, n);
        WriteRegister(Register.EAX, Hex(n));
        W.Line($"{{ cpu.TcFaultPoint({Hex(stub + HypercallStub.IntOffset)}, budget - left + 1); cpu.Eip = {Hex(afterInt)}; cpu.TcHypercall({Hex(n)}, budget - left);");
        W.Line("  cpu.TcFaultPointPassed(); " + SlowPathExit() + " }");
        Retire();
        Retire();
        AfterHypercall(node, afterInt);

        // The stub's ret: where the guest's stack says (its own call's return address, unless the guest changed it).
        W.Line("{");
        W.Indent();
        ReadMemoryInto(node, "t", "esp", 32);
        WriteRegister(Register.ESP, "esp + 4u");
        Retire();
        W.Line($"if (t != {Hex(d.NextIp)})");
        EmitExitBlock("t", node, chainAfter: true);
        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary><c>jmp page + 32*23</c>: the iret stub's <c>push eax; mov eax, 23; int 0x82</c>; control goes where the frame says.</summary>
    private void EmitIretJump(Node node)
    {
        uint stub = node.D.DirectTarget ?? 0;
        _used[0] = _used[4] = true;
        Retire();
        EnterStub(node, stub, (uint)HypercallNumber.Iret);
        W.Line("{");
        W.Indent();
        W.Line("uint sp = esp - 4u;");
        W.Line($"cpu.TcFaultPoint({Hex(stub)}, budget - left);");
        WriteMemoryFrom(node, "sp", "eax", 32, onStop: null);
        WriteRegister(Register.ESP, "esp - 4u");
        W.Outdent();
        W.Line("}");
        WriteRegister(Register.EAX, Hex((uint)HypercallNumber.Iret));
        W.Line($"{{ cpu.TcFaultPoint({Hex(stub + HypercallStub.IretIntOffset)}, budget - left + 2); cpu.Eip = {Hex(stub + HypercallStub.IretIntOffset + 2)}; cpu.TcHypercall({Hex((uint)HypercallNumber.Iret)}, budget - left);");
        W.Line("  cpu.TcFaultPointPassed(); }");
        Retire();
        Retire();
        Retire();
        EmitExit(null, node, chainAfter: true); // HYPERVISOR_iret changes control flow: the region ends here
    }

    /// <summary>
    /// The block boundary after a call or jump into the hypercall page: the budget is checked, and the stub must still
    /// be the VMM's (a guest may overwrite its page); otherwise the interpreter runs whatever is there.
    /// </summary>
    private void EnterStub(Node node, uint stub, uint n)
    {
        Flush();
        W.Line($"if (left <= 0 || !cpu.TcIsHypercallStub({Hex(stub)}, {Hex(n)}))");
        EmitExitBlock(Hex(stub), node, chainAfter: true);
    }

    /// <summary>
    /// The block boundary after the int 0x82, as on the interpreter path: leave when the VMM moved EIP (a bounce, an
    /// upcall, a crash) or asks to stop (block, shutdown, a mapping change), or the budget is spent; the Run loop then
    /// checks for a deliverable upcall exactly as after an interpreted int 0x82.
    /// </summary>
    private void AfterHypercall(Node node, uint continueAt)
    {
        Flush();
        W.Line($"if (cpu.TcStopRequested || cpu.Eip != {Hex(continueAt)})");
        EmitExitBlock(null, node, chainAfter: true);
        W.Line("if (left <= 0)");
        EmitExitBlock(Hex(continueAt), node, chainAfter: true);
    }
}
