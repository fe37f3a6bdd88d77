namespace Translator.Machine.Devices;

/// <summary>
/// How the board's devices are configured: the ones beyond the standard board that a run asks for by name (QEMU's
/// <c>-device NAME</c>) and the CMOS clock's start time (QEMU's <c>-rtc base=</c>).
/// </summary>
public sealed record PcDeviceOptions
{
    /// <summary>The CMOS RTC's time at the guest's first instruction (<c>--rtc-base</c>); null: the host's UTC time when the board is built, as QEMU.</summary>
    public DateTimeOffset? RtcBase { get; init; }

    /// <summary>QEMU's isa-debugcon at port 0xE9.</summary>
    public bool DebugConsole { get; init; }

    /// <summary>QEMU's pc-testdev.</summary>
    public bool TestDevice { get; init; }

    /// <summary>Where the debug console's bytes go (the VMM's own output: stderr in the CLI).</summary>
    public Action<byte>? DebugOutput { get; init; }

    /// <summary>The device names <see cref="Parse"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["isa-debugcon", "pc-testdev"];

    /// <summary>Adds the device called <paramref name="name"/>; null for a name this machine does not have.</summary>
    public PcDeviceOptions? With(string name) => name switch
    {
        "isa-debugcon" => this with { DebugConsole = true },
        "pc-testdev" => this with { TestDevice = true },
        _ => null,
    };
}

/// <summary>
/// The devices of the PC that <c>qemu-system-i386 -kernel</c> boots, wired as QEMU's board wires them: the 8259 pair,
/// the 8254 (IRQ 0), COM1 (IRQ 4), the CMOS RTC at 0x70 (IRQ 8), isa-debug-exit at 0xF4, fw_cfg at 0x510, the ACPI PM blocks and timer at 0x600, the local APIC at 0xFEE00000 (the
/// processor's INTR arbiter, with the 8259 on LINT0) and the I/O APIC at 0xFEC00000 (ISA IRQ n on pin n, IRQ 0 on
/// pin 2), plus the optional debug console and test device. Bare metal owns one; each VMM owns one for its guest.
/// </summary>
public sealed class PcBoard
{
    public PcBoard(VirtualClock clock, ulong ramBytes, Action<byte> console, Action<uint> debugExit, PcDeviceOptions? devices = null)
    {
        devices ??= new PcDeviceOptions();
        Pic = new Pic8259Pair();
        Apic = new LocalApic(Pic, clock, Mmio);
        IoApic = new IoApic(Apic, Mmio);
        Isa = new IsaInterruptLines(Pic, IoApic);
        Pit = new Pit8254(clock, Isa);
        Uart = new Uart16550(Isa, 4, console);
        DebugExit = new DebugExitDevice(debugExit);
        FwCfg = new FwCfg(ramBytes);
        Rtc = new CmosRtc(clock, Isa, devices.RtcBase ?? DateTimeOffset.UtcNow, ramBytes);
        Timers = new PlatformTimers(Pit, Apic, Rtc);
        PowerManagement = new AcpiPowerManagement(clock);
        Io.Register(0x20, 2, Pic);
        Io.Register(0xA0, 2, Pic);
        Io.Register(0x40, 4, Pit);
        Io.Register(0x3F8, 8, Uart);
        Io.Register(CmosRtc.IndexPort, 2, Rtc);
        Io.Register(0xF4, 4, DebugExit);
        Io.Register(FwCfg.SelectorPort, 2, FwCfg);
        Io.Register(AcpiPowerManagement.EventBlock, AcpiPowerManagement.PortCount, PowerManagement);
        FloatingPointError = new FloatingPointErrorLine(Isa);
        Io.Register(FloatingPointErrorLine.Port, 1, FloatingPointError);
        if (devices.DebugConsole)
        {
            DebugConsole = new DebugConsole(devices.DebugOutput ?? (_ => { }));
            Io.Register(DebugConsole.Port, 1, DebugConsole);
        }

        if (devices.TestDevice)
        {
            TestDevice = new PcTestDevice(Isa, IoApic);
            Io.Register(PcTestDevice.DataPort, 8, TestDevice);
            Io.Register(PcTestDevice.IrqPorts, PcTestDevice.IrqLines, TestDevice);
            Mmio.Register(PcTestDevice.MemoryBase, PcTestDevice.MemorySize, TestDevice);
        }
    }

    public IoBus Io { get; } = new();

    /// <summary>FERR# to IRQ 13 and the IGNNE# port 0xF0 (connect the processor with <see cref="FloatingPointErrorLine.Connect"/>).</summary>
    public FloatingPointErrorLine FloatingPointError { get; }

    /// <summary>The physical addresses the devices decode past RAM.</summary>
    public MmioBus Mmio { get; } = new();

    public Pic8259Pair Pic { get; }

    public Pit8254 Pit { get; }

    public Uart16550 Uart { get; }

    public DebugExitDevice DebugExit { get; }

    /// <summary>The CMOS real-time clock and NVRAM at 0x70/0x71 (IRQ 8).</summary>
    public CmosRtc Rtc { get; }

    public LocalApic Apic { get; }

    public IoApic IoApic { get; }

    public FwCfg FwCfg { get; }

    /// <summary>The ACPI PM1 blocks and PM timer at 0x600-0x60B (the firmware's FADT points at them).</summary>
    public AcpiPowerManagement PowerManagement { get; }

    public DebugConsole? DebugConsole { get; }

    public PcTestDevice? TestDevice { get; }

    /// <summary>The ISA IRQ lines (to the 8259 pair and the I/O APIC).</summary>
    public IInterruptLines Isa { get; }

    /// <summary>The 8254, the APIC timer and the RTC: the earliest deadline is the machine's next timer event.</summary>
    public PlatformTimers Timers { get; }

    /// <summary>
    /// Under QEMU a multiboot kernel starts after SeaBIOS has initialised the interrupt controllers and the timer;
    /// the same happens here so that a guest sees identical device state: PICs based at 0x08/0x70 with every line
    /// masked but the cascade, PIT channel 0 in mode 2 with the full 65536 count, the local APIC enabled with the
    /// 8259 on LINT0 (ExtINT) and LINT1 as NMI, every I/O APIC entry masked.
    /// </summary>
    public void InitializeLikeFirmware()
    {
        byte[] master = [0x11, 0x08, 0x04, 0x01];
        byte[] slave = [0x11, 0x70, 0x02, 0x01];
        Pic.Write(0x20, 1, master[0]);
        Pic.Write(0x21, 1, master[1]);
        Pic.Write(0x21, 1, master[2]);
        Pic.Write(0x21, 1, master[3]);
        Pic.Write(0xA0, 1, slave[0]);
        Pic.Write(0xA1, 1, slave[1]);
        Pic.Write(0xA1, 1, slave[2]);
        Pic.Write(0xA1, 1, slave[3]);
        Pic.Write(0x21, 1, 0xFB);
        Pic.Write(0xA1, 1, 0xFF);
        Pit.Write(0x43, 1, 0x34);
        Pit.Write(0x40, 1, 0x00);
        Pit.Write(0x40, 1, 0x00);
        Apic.InitializeLikeFirmware();
    }
}
