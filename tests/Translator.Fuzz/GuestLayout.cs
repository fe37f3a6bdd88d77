namespace Translator.Fuzz;

/// <summary>
/// Where a fuzz program's pieces live in guest memory. The data the program works on sits below 64 KiB so that
/// 16-bit addressing (prefix 0x67) reaches it too; everything else is in the image at 1 MiB.
/// </summary>
public static class GuestLayout
{
    public const uint LoadAddress = 0x0010_0000;

    /// <summary>The pages the program reads and writes; all three are hashed at the end.</summary>
    public const uint DataStart = 0x4000;
    public const uint DataEnd = 0x7000;

    /// <summary>With paging on: read-only to supervisor writes (CR0.WP=1), so a write there is a #PF.</summary>
    public const uint ReadOnlyPage = 0x5000;

    /// <summary>With paging on: not present, so any access there is a #PF.</summary>
    public const uint AbsentPage = 0x6000;

    public const uint HarnessCode = LoadAddress + 0x20;
    public const uint Gdt = LoadAddress + 0x0B00;
    public const uint Idt = LoadAddress + 0x0C00;
    public const uint Variables = LoadAddress + 0x0E00;
    public const uint InitialData = LoadAddress + 0x1000;
    public const uint Body = LoadAddress + 0x4000;
    public const uint BodyLimit = LoadAddress + 0xF000;
    public const uint PageDirectory = LoadAddress + 0x1_0000;
    public const uint PageTable = LoadAddress + 0x1_1000;
    public const uint StackBottom = LoadAddress + 0x1_2000;
    public const uint ProgramStackTop = LoadAddress + 0x1_3800;
    public const uint DumpStackTop = LoadAddress + 0x1_4000;
    public const uint ImageEnd = DumpStackTop;

    // The harness's variables (not hashed: they hold what the fault handler saw).
    public const uint FaultVector = Variables + 0x00;
    public const uint FaultError = Variables + 0x04;
    public const uint FaultEip = Variables + 0x08;
    public const uint FaultCr2 = Variables + 0x0C;
    public const uint SavedRegisters = Variables + 0x10; // eax ecx edx ebx esp ebp esi edi eflags
    public const uint HexDigits = Variables + 0x40;

    public const ushort CodeSelector = 0x08;
    public const ushort DataSelector = 0x10;

    /// <summary>The GDT's limit: a selector past it loads with #GP (the harness's #GP source).</summary>
    public const ushort GdtLimit = 3 * 8 - 1;
}
