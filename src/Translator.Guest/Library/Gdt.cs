namespace Translator.Guest;

/// <summary>
/// The flat GDT every DSL kernel uses, and its TSS. Selectors: 0x08 kernel code, 0x10 kernel data, 0x1B user code,
/// 0x23 user data, 0x28 the TSS (whose ESP0 is a dedicated interrupt stack; no I/O bitmap, so ring 3 has no ports).
/// </summary>
[GuestCode]
internal static class Gdt
{
    public const ushort KernelCode = 0x08;
    public const ushort KernelData = 0x10;
    public const ushort UserCode = 0x1B;
    public const ushort UserData = 0x23;
    public const ushort TaskState = 0x28;

    private const int TssBytes = 104;

    [Aligned(8)]
    private static readonly uint[] Table = new uint[12];

    [Aligned(16)]
    private static readonly uint[] Tss = new uint[TssBytes / 4];

    [Aligned(16)]
    private static readonly uint[] InterruptStack = new uint[2048];

    /// <summary>Builds the table and the TSS, loads GDTR and TR and reloads every segment register.</summary>
    public static void Install()
    {
        // Accessed bits preset: loading a selector then never writes the table (CPUs and emulators differ there).
        SetFlat(1, 0x9B);
        SetFlat(2, 0x93);
        SetFlat(3, 0xFB);
        SetFlat(4, 0xF3);

        Tss[1] = InterruptStackTop();                  // ESP0
        Tss[2] = KernelData;                           // SS0
        Tss[25] = (uint)TssBytes << 16;                // I/O map base beyond the limit: no bitmap
        uint tss = Memory.AddressOf(Tss);
        Table[10] = ((tss & 0xFFFF) << 16) | (TssBytes - 1);
        Table[11] = (tss & 0xFF000000) | 0x8900 | ((tss >> 16) & 0xFF);

        Cpu.LoadGdt(Memory.AddressOf(Table), 6 * 8 - 1);
        Cpu.ReloadSegments(KernelCode, KernelData);
        Cpu.LoadTaskRegister(TaskState);
    }

    /// <summary>Where the CPU switches stacks when an interrupt arrives at ring 3.</summary>
    public static uint InterruptStackTop() => Memory.AddressOf(InterruptStack) + 2048 * 4;

    /// <summary>A 4 GiB, page-granular, 32-bit segment with the given access byte.</summary>
    private static void SetFlat(int index, uint access)
    {
        Table[index * 2] = 0x0000FFFF;
        Table[index * 2 + 1] = 0x00CF0000 | (access << 8);
    }
}
