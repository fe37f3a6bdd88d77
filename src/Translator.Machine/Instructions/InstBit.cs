namespace Translator.Machine.Instructions;

internal static unsafe class InstBit
{
    public static void Register(InstructionTableBuilder t)
    {
    }
}
