using Iced.Intel;

namespace Translator.Translation.Emission;

/// <summary>Control transfers: in-page branches become gotos (with the interpreter's budget checks), the rest exits.</summary>
internal sealed partial class RegionEmitter
{
    private void EmitConditionalBranch(Node node)
    {
        uint target = node.D.DirectTarget ?? 0;
        string condition = ConditionAt(node, node.D.Condition);
        Retire();
        Flush();

        // Both sides in the method: one budget check before the branch, not one on each side (the host code then
        // tests the count once, right where it is decremented); a stop picks the side in its exit.
        bool checkOnce = node.Target is not null && node.Next is not null && node.BudgetCheck;
        if (checkOnce)
        {
            W.Line("if (left <= 0)");
            EmitExitBlock($"(({condition}) ? {Hex(target)} : {Hex(node.D.NextIp)})", node, chainAfter: true);
        }

        W.Line($"if ({condition})");
        W.Line("{");
        W.Indent();
        if (checkOnce)
        {
            GoToTarget(node);
        }
        else
        {
            BranchTo(node, target);
        }

        W.Outdent();
        W.Line("}");
        FallThrough(node, budgetChecked: checkOnce);
    }

    /// <summary>The taken side of a branch: budget check, then goto or exit.</summary>
    private void BranchTo(Node node, uint target)
    {
        if (node.Target is null)
        {
            EmitExit(Hex(target), node, chainAfter: true, ExitChain.To(target));
            return;
        }

        Flush();
        W.Line("if (left <= 0)");
        EmitExitBlock(Hex(target), node, chainAfter: true);
        GoToTarget(node);
    }

    /// <summary>The goto to the branch's in-method target, with the flags the target reads recorded first.</summary>
    private void GoToTarget(Node node)
    {
        if (node.Target!.LiveIn != 0)
        {
            string materialize = Materialize(node, after: true);
            if (materialize.Length > 0)
            {
                W.Line(materialize);
            }
        }

        W.Line($"goto {LabelOf(node.Target)};");
    }

    private void EmitTransfer(Node node)
    {
        Iced.Intel.Instruction i = node.D.Instruction;
        if (i.Mnemonic == Mnemonic.Jmp && i.Op0Kind == OpKind.NearBranch32)
        {
            Retire();
            Flush();
            BranchTo(node, i.NearBranch32);
            return;
        }

        W.Line("{");
        W.Indent();
        switch (i.Mnemonic)
        {
            case Mnemonic.Call:
                _used[4] = true;
                if (i.Op0Kind == OpKind.Memory)
                {
                    W.Line($"uint at = {Address(in i)};");
                    ReadMemoryInto(node, "t", "at", 32);
                }
                else
                {
                    W.Line($"uint t = {(i.Op0Kind == OpKind.NearBranch32 ? Hex(i.NearBranch32) : ReadRegister(i.Op0Register))};");
                }

                W.Line("uint sp = esp - 4u;");
                WriteMemoryFrom(node, "sp", Hex(node.D.NextIp), 32, onStop: null); // the call leaves anyway
                WriteRegister(Register.ESP, "esp - 4u");
                break;
            case Mnemonic.Ret:
                _used[4] = true;
                ReadMemoryInto(node, "t", "esp", 32);
                uint release = i.OpCount > 0 ? (uint)i.GetImmediate(0) : 0;
                WriteRegister(Register.ESP, $"esp + {Hex(4 + release)}");
                break;
            default:
                if (i.Op0Kind == OpKind.Memory)
                {
                    W.Line($"uint at = {Address(in i)};");
                    ReadMemoryInto(node, "t", "at", 32);
                }
                else
                {
                    W.Line($"uint t = {ReadRegister(i.Op0Register)};");
                }

                break;
        }

        Retire();
        bool direct = i.Mnemonic == Mnemonic.Call && i.Op0Kind == OpKind.NearBranch32;
        EmitExit("t", node, chainAfter: true, direct ? ExitChain.Call(i.NearBranch32, node.D.NextIp) : ExitChain.Any);
        W.Outdent();
        W.Line("}");
    }
}
