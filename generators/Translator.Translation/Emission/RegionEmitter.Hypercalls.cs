using Iced.Intel;
using Translator.Paravirt.Abi;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>
/// PV hypercall sites as direct calls into the VMM (<c>cpu.TcHypercall</c>): no <c>int 0x82</c>, no exception
/// delivery, no run of the hypercall page's stub. The state at the call is precise (registers written through, flags
/// recorded, EIP where the guest continues), and the code leaves when the VMM moved EIP (iret, an upcall, a bounce)
/// or asks to stop.
/// </summary>
internal sealed partial class RegionEmitter
{
    private void EmitHypercall(Node node)
    {
        DecodedInstruction d = node.D;
        int n = d.HypercallNumber;
        string what = n >= 0 ? $"hypercall {n} {HypercallSites.NameOf(n)}" : "hypercall EAX (int 0x82)";
        W.Line($"// {what} (direct call: no int 0x82, no exception delivery)");
        W.Line("{");
        W.Indent();
        W.Line(SlowPathEntry(node));
        _used[0] = true;
        uint continueAt = d.NextIp;
        int stubInstructions = 0;
        switch (d.Hypercall)
        {
            case HypercallSite.Call:
                // The stub's effect: the call's push of the return address is undone by the stub's ret, so the guest
                // sees EAX = n, the hypercall, and control after the call (iret's stub has no ret: it pops a frame).
                if (n == HypercallNumber.Iret)
                {
                    PushForHypercall(node, Hex(d.NextIp));
                    PushForHypercall(node, "eax");
                    stubInstructions = 3;
                }
                else
                {
                    stubInstructions = 3;
                }

                break;
            case HypercallSite.Jump:
                // Entered for good: iret pushes EAX first; any other stub's ret runs where the VMM leaves EIP.
                if (n == HypercallNumber.Iret)
                {
                    PushForHypercall(node, "eax");
                    stubInstructions = 3;
                }
                else
                {
                    stubInstructions = 2;
                }

                continueAt = 0;
                break;
        }

        if (n >= 0)
        {
            WriteRegister(Register.EAX, Hex((uint)n));
        }

        // Where the interpreter path is when the VMM takes the int 0x82: after the site, or inside the stub entered
        // by a jump (iret's int 0x82 ends at +8, the others at +7, before their ret).
        uint eipAtCall = d.Hypercall == HypercallSite.Jump ? (d.DirectTarget ?? 0) + (n == HypercallNumber.Iret ? 8u : 7u) : d.NextIp;
        W.Line($"cpu.Eip = {Hex(eipAtCall)};");
        W.Line($"cpu.TcHypercall({(n >= 0 ? Hex((uint)n) : "eax")});");
        W.Line("cpu.TcFaultPointPassed(); " + ReloadTlb);
        W.Line(Fill());
        W.Outdent();
        W.Line("}");
        Retire();
        for (int k = 0; k < stubInstructions; k++)
        {
            Retire(); // the stub's instructions, as the interpreter path retires them (virtual time stays the same)
        }

        if (continueAt == 0)
        {
            EmitExit(null, node, chainAfter: true);
            return;
        }

        W.Line($"if (cpu.TcStopRequested || cpu.Eip != {Hex(continueAt)})");
        EmitExitBlock(null, node, chainAfter: true);
        FallThrough(node);
    }

    /// <summary>A 32-bit push the stub would make (iret's frame word), through the ordinary store path.</summary>
    private void PushForHypercall(Node node, string value)
    {
        _used[4] = true;
        W.Line("{");
        W.Indent();
        W.Line("uint sp = esp - 4u;");
        WriteMemoryFrom(node, "sp", value, 32, onStop: null);
        WriteRegister(Register.ESP, "esp - 4u");
        W.Outdent();
        W.Line("}");
    }
}
