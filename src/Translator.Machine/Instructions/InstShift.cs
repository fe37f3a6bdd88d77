namespace Translator.Machine.Instructions;

internal static unsafe class InstShift
{
    public static void Register(InstructionTableBuilder t)
    {
    }
}
