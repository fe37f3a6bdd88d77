using Translator.Machine.Devices;
using Xunit;

namespace Translator.Machine.Tests.Devices;

/// <summary>Where the local APIC's NMIs come from (Intel SDM Vol. 3 11.5.1, 11.6.1) and where they do not.</summary>
public sealed class LocalApicNmiTests
{
    private readonly Pic8259Pair _pic = new();
    private readonly LocalApic _apic;
    private int _signalled;

    public LocalApicNmiTests()
    {
        _apic = new LocalApic(_pic, new VirtualClock(), bus: null);
        _apic.InitializeLikeFirmware();
        _apic.NmiRaised += () => _signalled++;
    }

    private void Write(uint offset, uint value) => _apic.Write(offset, 4, value);

    private void SendIpi(uint destination, uint low)
    {
        Write(0x310, destination << 24);
        Write(0x300, low);
    }

    /// <summary>NMI mode ignores the vector (0 raises no illegal-vector error) and takes no IRR bit; one pending NMI absorbs the next.</summary>
    [Fact]
    public void IcrNmiToSelfRaisesOneNmiWhateverItsVector()
    {
        SendIpi(0, 0x0004_0400); // shorthand self, NMI, vector 0
        Assert.True(_apic.NmiPending);
        Write(0x280, 0);
        Assert.Equal(0u, _apic.Read(0x280, 4));
        Assert.False(_apic.InterruptRequested);
        SendIpi(0, 0x0008_0455); // all including self
        Assert.Equal(2, _signalled);
        Assert.True(_apic.TakeNmi());
        Assert.False(_apic.TakeNmi());
    }

    [Theory]
    [InlineData(0x00u, 0x0000_0400u, true)]    // physical, own ID
    [InlineData(0xFFu, 0x0000_0400u, true)]    // physical broadcast
    [InlineData(0x03u, 0x0000_0400u, false)]   // physical, another APIC
    [InlineData(0x00u, 0x000C_0400u, false)]   // all excluding self: no other processor
    public void IcrNmiReachesOnlyThisApicsDestinations(uint destination, uint low, bool taken)
    {
        SendIpi(destination, low);
        Assert.Equal(taken, _apic.NmiPending);
        Assert.Equal(taken ? 0 : 1, _apic.DroppedIpis);
    }

    /// <summary>LINT0 in NMI mode turns the 8259's INTR rising edge into an NMI; in ExtINT mode it stays an INTR.</summary>
    [Fact]
    public void Lint0InNmiModeTurnsThePicsInterruptIntoAnNmi()
    {
        _pic.Write(0x21, 1, 0xFE);
        Write(0x350, 0x0400);
        _pic.SetIrq(0, true);
        Assert.True(_apic.NmiPending);
        Assert.False(_apic.InterruptRequested); // LINT0 is no longer the virtual wire
        Assert.True(_apic.TakeNmi());

        Write(0x350, 0x0700);
        _pic.SetIrq(0, false);
        _pic.SetIrq(0, true);
        Assert.False(_apic.NmiPending);
    }

    /// <summary>LINT1 (NMI after the firmware) raises an NMI; masked it does nothing; in fixed mode it requests its vector.</summary>
    [Fact]
    public void Lint1FollowsItsLvtEntry()
    {
        _apic.LocalInterruptPinRaised(1);
        Assert.True(_apic.TakeNmi());
        Write(0x360, 0x1_0400);
        _apic.LocalInterruptPinRaised(1);
        Assert.False(_apic.NmiPending);
        Write(0x360, 0x0041);
        _apic.LocalInterruptPinRaised(1);
        Assert.False(_apic.NmiPending);
        Assert.Equal(0x41, _apic.Acknowledge(out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => _apic.LocalInterruptPinRaised(2));
    }

    /// <summary>An I/O APIC entry in NMI mode raises the NMI on the pin's edge and sets no remote IRR.</summary>
    [Fact]
    public void IoApicNmiEntryRaisesTheNmi()
    {
        var ioApic = new IoApic(_apic, bus: null);
        ioApic.Write(0x00, 4, 0x10 + (2 * 5));
        ioApic.Write(0x10, 4, 0x0400);          // pin 5: NMI, edge, unmasked, physical destination 0
        ioApic.SetPin(5, true);
        Assert.True(_apic.TakeNmi());
        Assert.Equal(0u, ioApic.Read(0x10, 4) & 0x4000); // no remote IRR
        Assert.False(_apic.InterruptRequested);
    }
}
