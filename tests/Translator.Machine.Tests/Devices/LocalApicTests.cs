using Translator.Machine.Devices;
using Xunit;

namespace Translator.Machine.Tests.Devices;

/// <summary>The local APIC's register-level rules (Intel SDM Vol. 3 ch. 11), driven directly.</summary>
public sealed class LocalApicTests
{
    private readonly VirtualClock _clock = new();
    private readonly Pic8259Pair _pic = new();
    private readonly MmioBus _bus = new();
    private readonly LocalApic _apic;

    public LocalApicTests()
    {
        _apic = new LocalApic(_pic, _clock, _bus);
        _apic.InitializeLikeFirmware();
    }

    private uint Read(uint offset) => _apic.Read(offset, 4);

    private void Write(uint offset, uint value) => _apic.Write(offset, 4, value);

    /// <summary>SDM 11.8.3.1: PPR is the TPR when its class is at least the in-service class, else that class with subclass 0.</summary>
    [Theory]
    [InlineData(0x00u, -1, 0x00u)]
    [InlineData(0x35u, -1, 0x35u)]
    [InlineData(0x35u, 0x41, 0x40u)]
    [InlineData(0x45u, 0x41, 0x45u)]
    [InlineData(0x4Fu, 0x4E, 0x4Fu)]
    [InlineData(0x20u, 0x9C, 0x90u)]
    public void ProcessorPriorityFollowsTprAndInService(uint tpr, int inService, uint expected)
    {
        if (inService >= 0)
        {
            Write(0x300, 0x0004_0000u | (uint)inService);
            _apic.Acknowledge(out _);
        }

        Write(0x80, tpr);
        Assert.Equal(expected, Read(0xA0));
    }

    /// <summary>A vector in the PPR's own class waits: acceptance needs a strictly higher class.</summary>
    [Fact]
    public void AVectorOfThePprsClassIsNotDelivered()
    {
        Write(0x80, 0x50);
        Write(0x300, 0x0004_005F);
        Assert.False(_apic.InterruptRequested);
        Write(0x300, 0x0004_0060);
        Assert.True(_apic.InterruptRequested);
        Assert.Equal(0x60, _apic.Acknowledge(out int irq));
        Assert.Equal(-1, irq);
    }

    /// <summary>IA32_APIC_BASE: reserved bits and x2APIC mode refuse the write (#GP); BSP stays; the window moves with the base.</summary>
    [Fact]
    public void BaseMsrRefusesReservedBitsAndRelocatesTheWindow()
    {
        Assert.Equal(0xFEE0_0900UL, _apic.BaseMsr);
        Assert.False(_apic.TryWriteBaseMsr(0xFEE0_0901));
        Assert.False(_apic.TryWriteBaseMsr(0xFEE0_0D00)); // x2APIC enable
        Assert.False(_apic.TryWriteBaseMsr(0x1_FEE0_0800));
        Assert.True(_apic.TryWriteBaseMsr(0xFED0_0800));
        Assert.Equal(0xFED0_0900UL, _apic.BaseMsr);
        Assert.True(_bus.TryRead(0xFED0_0030, 4, out uint version));
        Assert.Equal(LocalApic.Version, version);
        Assert.False(_bus.TryRead(0xFEE0_0030, 4, out _));
    }

    /// <summary>Globally disabled, the APIC is absent (the window reads all ones) and the 8259 reaches INTR directly; re-enabled, it is in its power-up state.</summary>
    [Fact]
    public void DisablingThroughTheMsrHandsInterruptsToThePicAndReenablingResets()
    {
        Write(0x80, 0x20);
        Assert.True(_apic.TryWriteBaseMsr(0xFEE0_0000));
        Assert.Equal(0xFFFF_FFFFu, Read(0x30));
        _pic.Write(0x21, 1, 0xFE);
        _pic.SetIrq(0, true);
        Assert.True(_apic.InterruptRequested);
        Assert.True(_apic.TryWriteBaseMsr(0xFEE0_0800));
        Assert.Equal(0u, Read(0x80));
        Assert.Equal(0xFFu, Read(0xF0));
        Assert.Equal(0x1_0000u, Read(0x350));
    }

    /// <summary>Only aligned 32-bit accesses reach registers; others read 0 and are dropped; a hole sets ESR bit 7.</summary>
    [Fact]
    public void NarrowMisalignedAndHoleAccessesAreDefined()
    {
        Write(0x80, 0x42);
        Assert.Equal(0u, _apic.Read(0x80, 1));
        Assert.Equal(0u, _apic.Read(0x82, 4));
        _apic.Write(0x80, 2, 0x99);
        Assert.Equal(0x42u, Read(0x80));
        Assert.Equal(0u, Read(0x400));
        Write(0x280, 0);
        Assert.Equal(0x80u, Read(0x280));
    }

    /// <summary>Logical destinations (SDM 11.6.2.2): the flat model matches any common bit, the cluster model the cluster and a member bit.</summary>
    [Fact]
    public void LogicalDestinationsMatchFlatAndClusterModels()
    {
        Write(0xD0, 0x0400_0000);
        Assert.True(_apic.IsAddressedBy(0x06, logical: true));
        Assert.False(_apic.IsAddressedBy(0x08, logical: true));
        Write(0xE0, 0x0FFF_FFFF);   // cluster model
        Write(0xD0, 0x3200_0000);   // cluster 3, member bit 1
        Assert.True(_apic.IsAddressedBy(0x32, logical: true));
        Assert.True(_apic.IsAddressedBy(0xF2, logical: true));
        Assert.False(_apic.IsAddressedBy(0x22, logical: true));
        Assert.True(_apic.IsAddressedBy(0xFF, logical: false));
        Assert.False(_apic.IsAddressedBy(0x01, logical: false));
    }

    /// <summary>The timer counts at the bus clock (1 tick per virtual ns) divided by the divide configuration.</summary>
    [Theory]
    [InlineData(0xBu, 1)]
    [InlineData(0x0u, 2)]
    [InlineData(0x3u, 16)]
    [InlineData(0xAu, 128)]
    public void TimerCurrentCountFollowsTheDivider(uint divide, int divisor)
    {
        Write(0x3E0, divide);
        Write(0x320, 0x40);
        Write(0x380, 1000);
        _clock.Advance((ulong)(100 * divisor));
        Assert.Equal(900u, Read(0x390));
        Assert.Equal((ulong)(1000 * divisor), _apic.NextDeadline);
        _clock.Advance((ulong)(900 * divisor));
        _apic.Advance(_clock.Now);
        Assert.Equal(0u, Read(0x390));
        Assert.Equal(ulong.MaxValue, _apic.NextDeadline);
        Assert.Equal(0x40, _apic.Acknowledge(out _));
    }
}
