namespace Translator.Machine.Instructions;

internal static unsafe class InstString
{
    public static void Register(InstructionTableBuilder t)
    {
    }
}
