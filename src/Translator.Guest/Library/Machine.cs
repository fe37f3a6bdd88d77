namespace Translator.Guest;

/// <summary>Leaving the machine: isa-debug-exit (QEMU exits with (code &lt;&lt; 1) | 1) or halting for good.</summary>
[GuestCode]
internal static class Machine
{
    private const ushort DebugExitPort = 0xF4;

    public static void Exit(uint code)
    {
        if (KernelImage.IsParavirtual)
        {
            Paravirt.FlushConsole(); // the console is batched in a PV domain
        }

        Cpu.Out32(DebugExitPort, code);
        Stop();
    }

    /// <summary>Halts with interrupts off: nothing can wake the CPU again.</summary>
    public static void Stop()
    {
        if (KernelImage.IsParavirtual)
        {
            Paravirt.FlushConsole();
        }

        Cpu.DisableInterrupts();
        while (true)
        {
            Cpu.Halt();
        }
    }
}
