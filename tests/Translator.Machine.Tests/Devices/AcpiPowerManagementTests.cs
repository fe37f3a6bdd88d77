using Translator.Machine.Devices;
using Translator.Machine.Loader;
using Translator.Machine.Memory;
using Xunit;

namespace Translator.Machine.Tests.Devices;

/// <summary>The ACPI PM timer and PM1 blocks (ACPI 6.5 4.8.3) and the firmware's table set (ch. 5) that describes them.</summary>
public class AcpiPowerManagementTests
{
    private readonly VirtualClock _clock = new();

    /// <summary>3.579545 MHz on the virtual clock: one second of virtual time is 3,579,545 ticks, whatever the path.</summary>
    [Theory]
    [InlineData(0UL, 0u)]
    [InlineData(279UL, 0u)]              // 279 ns: not yet one tick (279.4 ns)
    [InlineData(280UL, 1u)]
    [InlineData(1_000_000UL, 3579u)]     // 1 ms
    [InlineData(1_000_000_000UL, 3_579_545u)]
    public void TimerCountsAt3579545HzOnTheVirtualClock(ulong nanoseconds, uint ticks)
    {
        var pm = new AcpiPowerManagement(_clock);
        _clock.AdvanceTo(nanoseconds);
        Assert.Equal(ticks, pm.Read(AcpiPowerManagement.TimerPort, 4));
    }

    /// <summary>
    /// TMR_VAL_EXT clear (QEMU's): 24 bits, bits 31:24 read 0 and the count wraps after 2^24 ticks (4.687 s);
    /// set: 32 bits, wrapping after 2^32 ticks (1199.6 s).
    /// </summary>
    [Theory]
    [InlineData(24, 0x100_0000UL)]
    [InlineData(32, 0x1_0000_0000UL)]
    public void TimerWrapsAtItsWidth(int bits, ulong period)
    {
        var pm = new AcpiPowerManagement(_clock, bits);
        ulong Ns(ulong ticks) => (ulong)(((UInt128)ticks * 1_000_000_000 + AcpiPowerManagement.TimerHz - 1) / AcpiPowerManagement.TimerHz);
        _clock.AdvanceTo(Ns(period - 1));
        Assert.Equal((uint)(period - 1), pm.Read(AcpiPowerManagement.TimerPort, 4));
        _clock.AdvanceTo(Ns(period + 5));
        Assert.Equal(5u, pm.Read(AcpiPowerManagement.TimerPort, 4));
        Assert.Equal(5u, pm.Read(AcpiPowerManagement.TimerPort, 1));                // byte lanes of the same value
        Assert.Equal(0u, pm.Read(AcpiPowerManagement.TimerPort + 3, 1));
    }

    /// <summary>TMR_STS (PM1_STS bit 0) is set when the counter's top bit changes and cleared by writing 1 to it.</summary>
    [Fact]
    public void TimerStatusFollowsTheTopBitAndIsWriteOneToClear()
    {
        var pm = new AcpiPowerManagement(_clock);
        Assert.Equal(0u, pm.Read(AcpiPowerManagement.EventBlock, 2));
        _clock.AdvanceTo(2_400_000_000);                                             // 8.59e6 ticks: bit 23 set
        Assert.Equal(1u, pm.Read(AcpiPowerManagement.EventBlock, 2));
        pm.Write(AcpiPowerManagement.EventBlock, 2, 0);                              // writing 0 changes nothing
        Assert.Equal(1u, pm.Read(AcpiPowerManagement.EventBlock, 2));
        pm.Write(AcpiPowerManagement.EventBlock, 2, 1);
        Assert.Equal(0u, pm.Read(AcpiPowerManagement.EventBlock, 2));
        _clock.AdvanceTo(4_800_000_000);                                             // 1.7e7 ticks: wrapped, bit 23 clear again
        Assert.Equal(1u, pm.Read(AcpiPowerManagement.EventBlock, 2));
    }

    /// <summary>PM1_EN keeps only the enable bits ACPI defines; PM1_CNT reads SCI_EN set and its SLP_TYP; SLP_EN is counted.</summary>
    [Fact]
    public void EnableAndControlRegistersKeepTheirDefinedBits()
    {
        var pm = new AcpiPowerManagement(_clock);
        pm.Write(AcpiPowerManagement.EventBlock + 2, 2, 0xFFFF);
        Assert.Equal(0x0521u, pm.Read(AcpiPowerManagement.EventBlock + 2, 2));
        Assert.Equal(1u, pm.Read(AcpiPowerManagement.ControlBlock, 2));
        pm.Write(AcpiPowerManagement.ControlBlock, 2, 0x2400);                      // SLP_TYP 1, SLP_EN
        Assert.Equal(0x0401u, pm.Read(AcpiPowerManagement.ControlBlock, 2));
        Assert.Equal(1, pm.SleepRequests);
    }

    /// <summary>
    /// The RSDP is where an OS scans for it, every table's checksum is 0, and the FADT names the PM blocks at QEMU's
    /// ports, the FACS (64-byte aligned) and the DSDT, with TMR_VAL_EXT as wide as the timer.
    /// </summary>
    [Theory]
    [InlineData(24, 0u)]
    [InlineData(32, 1u << 8)]
    public void TablesDescribeThePowerManagementBlocks(int timerBits, uint timerValueExtended)
    {
        var memory = new PhysicalMemory(2);
        AcpiTables.Write(memory, timerBits);
        uint rsdp = 0;
        for (uint at = 0xE0000; at < 0x100000 && rsdp == 0; at += 16)
        {
            rsdp = System.Text.Encoding.ASCII.GetString(memory.Span(at, 8)) == "RSD PTR " ? at : 0;
        }

        Assert.Equal(AcpiTables.RsdpAddress, rsdp);
        Assert.Equal(0, Sum(memory.Span(rsdp, 20)));
        uint rsdt = memory.Read32(rsdp + 16);
        Assert.Equal("RSDT", Signature(memory, rsdt));
        Assert.Equal(0, Sum(memory.Span(rsdt, (int)memory.Read32(rsdt + 4))));
        uint fadt = memory.Read32(rsdt + 36);
        Assert.Equal("FACP", Signature(memory, fadt));
        Assert.Equal(116u, memory.Read32(fadt + 4));
        Assert.Equal(0, Sum(memory.Span(fadt, 116)));
        Assert.Equal(0x600u, memory.Read32(fadt + 56));                              // PM1a_EVT_BLK
        Assert.Equal(0x604u, memory.Read32(fadt + 64));                              // PM1a_CNT_BLK
        Assert.Equal(0x608u, memory.Read32(fadt + 76));                              // PM_TMR_BLK
        Assert.Equal(4, memory.Span(fadt + 91, 1)[0]);                               // PM_TMR_LEN
        Assert.Equal(timerValueExtended, memory.Read32(fadt + 112) & (1u << 8));
        uint facs = memory.Read32(fadt + 36);
        Assert.Equal("FACS", Signature(memory, facs));
        Assert.Equal(0u, facs % 64);
        Assert.Equal("DSDT", Signature(memory, memory.Read32(fadt + 40)));
        uint madt = memory.Read32(rsdt + 40);
        Assert.Equal("APIC", Signature(memory, madt));
        Assert.Equal(0, Sum(memory.Span(madt, (int)memory.Read32(madt + 4))));
        Assert.Equal(LocalApic.DefaultBase, memory.Read32(madt + 36));
    }

    private static string Signature(PhysicalMemory memory, uint table) => System.Text.Encoding.ASCII.GetString(memory.Span(table, 4));

    private static byte Sum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }

        return sum;
    }
}
