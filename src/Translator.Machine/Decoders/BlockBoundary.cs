using Iced.Intel;

namespace Translator.Machine.Decoders;

/// <summary>
/// Where the interpreter's blocks end, and so where it takes interrupts and checks the budget. Translated code must
/// stop at exactly the same places (virtual time and interrupt delivery depend on it), so the translation core
/// compiles this same file (a linked source in generators/Translator.Translation) instead of keeping a copy.
/// </summary>
internal static class BlockBoundary
{
    /// <summary>Instructions a block holds at most.</summary>
    public const int MaxInstructions = 64;

    /// <summary>
    /// A control transfer, or an instruction that changes how the following code is fetched or whether interrupts
    /// are taken; REP string instructions too (they run in chunks).
    /// </summary>
    public static bool EndsBlock(in Instruction instruction)
    {
        if (instruction.FlowControl != FlowControl.Next)
        {
            return true;
        }

        switch (instruction.Mnemonic)
        {
            case Mnemonic.Hlt:
            case Mnemonic.Invlpg:
            case Mnemonic.Lmsw:
            case Mnemonic.Popf:
            case Mnemonic.Sti:
            case Mnemonic.Wrmsr:
                return true;
            case Mnemonic.Mov:
                return instruction.Op0Kind == OpKind.Register && instruction.Op0Register.IsCR();
            default:
                return instruction.HasRepPrefix || instruction.HasRepnePrefix;
        }
    }
}
