namespace Translator.Machine.Instructions;

internal static unsafe class InstMulDiv
{
    public static void Register(InstructionTableBuilder t)
    {
    }
}
