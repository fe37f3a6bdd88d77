namespace Translator.Guest;

/// <summary>The 8254 timer: channel 0 drives IRQ 0 from a 1.193182 MHz input clock.</summary>
[GuestCode]
internal static class Pit
{
    public const uint InputHz = 1193182;

    /// <summary>Channel 0, rate generator (mode 2), interrupting every <paramref name="divisor"/> input clocks.</summary>
    public static void StartPeriodic(ushort divisor)
    {
        if (KernelImage.IsParavirtual)
        {
            Paravirt.StartPeriodicTimer(divisor, InputHz); // vcpu_op(set_periodic_timer) instead of PIT programming
        }
        else
        {
            Cpu.Out8(0x43, 0x34);
            Cpu.Out8(0x40, (byte)divisor);
            Cpu.Out8(0x40, (byte)(divisor >> 8));
        }
    }
}
