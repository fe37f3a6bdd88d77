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
        W.Line($"if ({condition})");
        W.Line("{");
        W.Indent();
        BranchTo(node, target);
        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary>The taken side of a branch: budget check, then goto or exit.</summary>
    private void BranchTo(Node node, uint target)
    {
        if (node.Target is null)
        {
            EmitExit(Hex(target), node, chainAfter: true);
            return;
        }

        Flush();
        W.Line("if (n >= budget)");
        EmitExitBlock(Hex(target), node, chainAfter: true);
        if (node.Target.LiveIn != 0)
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
        Site(node, fallback: false);
        switch (i.Mnemonic)
        {
            case Mnemonic.Call:
                _used[4] = true;
                string target = i.Op0Kind == OpKind.NearBranch32 ? Hex(i.NearBranch32)
                    : i.Op0Kind == OpKind.Register ? ReadRegister(i.Op0Register) : $"mmu.Read32({Address(in i)})";
                W.Line($"uint t = {target};");
                W.Line($"mmu.Write32(esp - 4u, {Hex(node.D.NextIp)});");
                WriteRegister(Register.ESP, "esp - 4u");
                break;
            case Mnemonic.Ret:
                _used[4] = true;
                W.Line("uint t = mmu.Read32(esp);");
                uint release = i.OpCount > 0 ? (uint)i.GetImmediate(0) : 0;
                WriteRegister(Register.ESP, $"esp + {Hex(4 + release)}");
                break;
            default:
                W.Line($"uint t = {(i.Op0Kind == OpKind.Register ? ReadRegister(i.Op0Register) : $"mmu.Read32({Address(in i)})")};");
                break;
        }

        Retire();
        EmitExit("t", node, chainAfter: true);
        W.Outdent();
        W.Line("}");
    }
}
