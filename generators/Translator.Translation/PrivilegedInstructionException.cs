namespace Translator.Translation;

/// <summary>A PV image holds an instruction that faults at CPL 1: it was not built against the hypercall interface.</summary>
public sealed class PrivilegedInstructionException : TranslationException
{
    public PrivilegedInstructionException(uint address, string instruction)
        : base($"PV image holds a privileged instruction at 0x{address:X8}: {instruction}; a PV kernel uses the hypercall interface instead")
    {
        Address = address;
        Instruction = instruction;
    }

    public uint Address { get; }

    public string Instruction { get; }
}
