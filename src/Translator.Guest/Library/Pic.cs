namespace Translator.Guest;

/// <summary>The 8259A pair: IRQ 0-7 at vectors 0x20-0x27, IRQ 8-15 at 0x28-0x2F, so they miss the CPU's exceptions.</summary>
[GuestCode]
internal static class Pic
{
    public const byte MasterVectorBase = 0x20;
    public const byte SlaveVectorBase = 0x28;

    private const ushort MasterCommand = 0x20;
    private const ushort MasterData = 0x21;
    private const ushort SlaveCommand = 0xA0;
    private const ushort SlaveData = 0xA1;
    private const byte EndOfInterruptCommand = 0x20;

    /// <summary>ICW1-ICW4 on both chips, then every line masked but the cascade.</summary>
    public static void Remap()
    {
        Cpu.Out8(MasterCommand, 0x11);
        Cpu.Out8(SlaveCommand, 0x11);
        Cpu.Out8(MasterData, MasterVectorBase);
        Cpu.Out8(SlaveData, SlaveVectorBase);
        Cpu.Out8(MasterData, 0x04);
        Cpu.Out8(SlaveData, 0x02);
        Cpu.Out8(MasterData, 0x01);
        Cpu.Out8(SlaveData, 0x01);
        Cpu.Out8(MasterData, 0xFB);
        Cpu.Out8(SlaveData, 0xFF);
    }

    public static void Unmask(int irq)
    {
        if (KernelImage.IsParavirtual && irq == 0)
        {
            Paravirt.BindTimer(MasterVectorBase); // the timer is VIRQ_TIMER, an event channel, in a PV domain
        }

        if (irq < 8)
        {
            Cpu.Out8(MasterData, (byte)(Cpu.In8(MasterData) & ~(1 << irq)));
        }
        else
        {
            Cpu.Out8(SlaveData, (byte)(Cpu.In8(SlaveData) & ~(1 << (irq - 8))));
        }
    }

    public static void Mask(int irq)
    {
        if (irq < 8)
        {
            Cpu.Out8(MasterData, (byte)(Cpu.In8(MasterData) | (1 << irq)));
        }
        else
        {
            Cpu.Out8(SlaveData, (byte)(Cpu.In8(SlaveData) | (1 << (irq - 8))));
        }
    }

    public static void EndOfInterrupt(int irq)
    {
        // In a PV domain events are acknowledged in the shared-info page by the event callback, not at the PIC.
        if (!KernelImage.IsParavirtual)
        {
            if (irq >= 8)
            {
                Cpu.Out8(SlaveCommand, EndOfInterruptCommand);
            }

            Cpu.Out8(MasterCommand, EndOfInterruptCommand);
        }
    }
}
