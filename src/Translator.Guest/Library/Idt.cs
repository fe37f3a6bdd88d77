namespace Translator.Guest;

/// <summary>The IDT: one 32-bit interrupt (or trap) gate per <c>[InterruptHandler]</c> of the image, nothing else present.</summary>
[GuestCode]
internal static class Idt
{
    private const uint InterruptGate = 0x8E00;
    private const uint Dpl3 = 0x6000;
    private const uint TrapType = 0x0100; // type 0xF instead of 0xE: IF stays as it was

    [Aligned(8)]
    private static readonly uint[] Table = new uint[512];

    public static void Install()
    {
        uint[] handlers = KernelImage.InterruptHandlers();
        for (int i = 0; i + 2 < handlers.Length; i += 3)
        {
            uint vector = handlers[i];
            uint stub = handlers[i + 1];
            uint flags = handlers[i + 2];
            uint gate = InterruptGate | ((flags & 1) != 0 ? Dpl3 : 0) | ((flags & 2) != 0 ? TrapType : 0);
            Table[vector * 2] = ((uint)Gdt.KernelCode << 16) | (stub & 0xFFFF);
            Table[vector * 2 + 1] = (stub & 0xFFFF0000) | gate;
        }

        Cpu.LoadIdt(Memory.AddressOf(Table), 256 * 8 - 1);
    }
}
