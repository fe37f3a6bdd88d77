using Iced.Intel;

namespace Translator.Fuzz;

/// <summary>
/// Which arithmetic flags are architecturally defined at each point of a body (Intel SDM: e.g. MUL leaves SF, ZF,
/// AF and PF undefined, a shift by more than one leaves OF undefined). Two correct CPUs agree only on defined
/// flags, so the comparison masks the rest, and a program is valid only if no instruction reads an undefined one.
/// Iced supplies each instruction's read/written/undefined sets; paths join at branch targets (intersection).
/// </summary>
public static class FlagAnalysis
{
    public const RflagsBits Arithmetic = RflagsBits.OF | RflagsBits.SF | RflagsBits.ZF | RflagsBits.AF | RflagsBits.CF | RflagsBits.PF;

    public sealed record Result(RflagsBits[] Before, RflagsBits AtEnd, int FirstInvalidRead);

    /// <summary>Analyses a flat body (see <see cref="FuzzProgram.FlatBody"/>); the last instruction jumps to the dump.</summary>
    public static Result Analyse(IReadOnlyList<Instruction> body, uint dumpAddress)
    {
        var index = new Dictionary<ulong, int>();
        for (int i = 0; i < body.Count; i++)
        {
            index[body[i].IP] = i;
        }

        var before = new RflagsBits[body.Count];
        var reached = new bool[body.Count];
        before[0] = Arithmetic; // the harness loads all flags from a known value
        reached[0] = true;
        RflagsBits atEnd = Arithmetic;
        bool endReached = false;
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = 0; i < body.Count; i++)
            {
                if (!reached[i])
                {
                    continue;
                }

                Instruction instruction = body[i];
                RflagsBits after = After(instruction, before[i]);
                foreach (int successor in Successors(instruction, i, index, dumpAddress))
                {
                    if (successor < 0)
                    {
                        RflagsBits merged = endReached ? atEnd & after : after;
                        endReached = true;
                        atEnd = merged;
                        continue;
                    }

                    RflagsBits join = reached[successor] ? before[successor] & after : after;
                    if (!reached[successor] || join != before[successor])
                    {
                        reached[successor] = true;
                        before[successor] = join;
                        changed = true;
                    }
                }
            }
        }

        int firstInvalid = -1;
        for (int i = 0; i < body.Count && firstInvalid < 0; i++)
        {
            if (reached[i] && (body[i].RflagsRead & Arithmetic & ~before[i]) != 0)
            {
                firstInvalid = i;
            }
        }

        return new Result(before, atEnd, firstInvalid);
    }

    public static RflagsBits After(in Instruction instruction, RflagsBits before)
    {
        RflagsBits undefined = instruction.RflagsUndefined & Arithmetic;
        if (instruction.Mnemonic is Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr
            && instruction.Op1Kind == OpKind.Immediate8 && (instruction.Immediate8 & 0x1F) > 1)
        {
            // The SDM leaves OF undefined for any masked count above 1, also one that rotates by a multiple of the
            // size (RCR r/m8 by 27: 27 mod 9 = 0), where Iced reports no flags touched (found by the host CPU oracle).
            undefined |= RflagsBits.OF;
        }

        if (instruction.IsStringInstruction && (instruction.HasRepePrefix || instruction.HasRepnePrefix))
        {
            // With a count of 0 a REP string instruction writes no flags: a flag is defined after it only if it was
            // before (found by the host CPU oracle: SHR's undefined AF surviving REPE SCAS with ECX = 0).
            return before & ~undefined;
        }

        RflagsBits written = (instruction.RflagsWritten | instruction.RflagsCleared | instruction.RflagsSet) & Arithmetic;
        return (before & ~undefined) | (written & ~undefined);
    }

    /// <summary>Indices of the instructions that may run next; -1 is the dump.</summary>
    private static IEnumerable<int> Successors(Instruction instruction, int i, Dictionary<ulong, int> index, uint dumpAddress)
    {
        FlowControl flow = instruction.FlowControl;
        if (flow is FlowControl.UnconditionalBranch or FlowControl.Call or FlowControl.ConditionalBranch)
        {
            ulong target = instruction.NearBranch32;
            yield return target == dumpAddress ? -1 : index[target];
        }

        if (flow is not (FlowControl.UnconditionalBranch or FlowControl.Call))
        {
            yield return i + 1 < index.Count ? i + 1 : -1;
        }
    }

    /// <summary>EFLAGS bits (CF=0 … OF=11) of a set of Iced flags.</summary>
    public static uint EflagsMask(RflagsBits flags)
    {
        uint mask = 0;
        if ((flags & RflagsBits.CF) != 0) mask |= 0x001;
        if ((flags & RflagsBits.PF) != 0) mask |= 0x004;
        if ((flags & RflagsBits.AF) != 0) mask |= 0x010;
        if ((flags & RflagsBits.ZF) != 0) mask |= 0x040;
        if ((flags & RflagsBits.SF) != 0) mask |= 0x080;
        if ((flags & RflagsBits.OF) != 0) mask |= 0x800;
        return mask;
    }
}
