using Translator.Machine.Devices;
using Xunit;

namespace Translator.Machine.Tests.Devices;

public class Pic8259PairTests
{
    private readonly Pic8259Pair _pic = new();

    private void Out(ushort port, byte value) => _pic.Write(port, 1, value);

    private byte In(ushort port) => (byte)_pic.Read(port, 1);

    /// <summary>The usual protected-mode remap: IRQ0-7 to 0x20, IRQ8-15 to 0x28, cascade on IR2, 8086 mode.</summary>
    private void Remap(byte icw4 = 0x01)
    {
        Out(0x20, 0x11);
        Out(0xA0, 0x11);
        Out(0x21, 0x20);
        Out(0xA1, 0x28);
        Out(0x21, 0x04);
        Out(0xA1, 0x02);
        Out(0x21, icw4);
        Out(0xA1, icw4);
    }

    private byte ReadIrr(ushort command)
    {
        Out(command, 0x0A);
        return In(command);
    }

    private byte ReadIsr(ushort command)
    {
        Out(command, 0x0B);
        return In(command);
    }

    private void Pulse(int irq)
    {
        _pic.SetIrq(irq, true);
        _pic.SetIrq(irq, false);
    }

    [Fact]
    public void PowerOnStateIsQemusUninitialisedChip()
    {
        Assert.False(_pic.InterruptRequested);
        Assert.Equal(0x00, In(0x21));
        Assert.Equal(0x00, In(0xA1));

        // Nothing masked and vector base 0, as after QEMU's reset.
        _pic.SetIrq(1, true);
        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x01, _pic.Acknowledge(out int irq));
        Assert.Equal(1, irq);
    }

    [Fact]
    public void AcknowledgeReturnsTheVectorAndMovesTheRequestInService()
    {
        Remap();
        _pic.SetIrq(1, true);

        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x02, ReadIrr(0x20));

        Assert.Equal(0x21, _pic.Acknowledge(out int irq));
        Assert.Equal(1, irq);
        Assert.False(_pic.InterruptRequested);
        Assert.Equal(0x00, ReadIrr(0x20));
        Assert.Equal(0x02, ReadIsr(0x20));

        Out(0x20, 0x20);
        Assert.Equal(0x00, ReadIsr(0x20));
        Assert.Equal((0, 0, 0), ((int, int, int))_pic.Registers(0));
    }

    [Fact]
    public void AnEdgeLatchesOnceWhileTheLineStaysHigh()
    {
        Remap();
        _pic.SetIrq(3, true);
        _pic.Acknowledge(out _);
        Out(0x20, 0x20);

        _pic.SetIrq(3, true);
        Assert.False(_pic.InterruptRequested);
        Assert.Equal(0x00, ReadIrr(0x20));

        _pic.SetIrq(3, false);
        _pic.SetIrq(3, true);
        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x08, ReadIrr(0x20));
    }

    [Fact]
    public void AnEdgeStaysLatchedAfterTheLineDrops()
    {
        Remap();
        Pulse(4);

        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x24, _pic.Acknowledge(out int irq));
        Assert.Equal(4, irq);
    }

    [Fact]
    public void MaskedRequestsStayInIrrButDoNotInterrupt()
    {
        Remap();
        Out(0x21, 0xFB);
        Pulse(0);

        Assert.False(_pic.InterruptRequested);
        Assert.Equal(0xFB, In(0x21));
        Assert.Equal(0x01, ReadIrr(0x20));

        Out(0x21, 0xFA);
        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x20, _pic.Acknowledge(out _));
    }

    [Fact]
    public void LowerNumberedLinesWinAndInServiceBlocksLowerPriority()
    {
        Remap();
        Pulse(3);
        Pulse(1);

        Assert.Equal(0x21, _pic.Acknowledge(out _));
        Assert.False(_pic.InterruptRequested);   // IR3 waits for IR1's EOI

        Pulse(0);
        Assert.True(_pic.InterruptRequested);    // IR0 outranks IR1 in service
        Assert.Equal(0x20, _pic.Acknowledge(out _));
        Assert.Equal(0x03, ReadIsr(0x20));

        Out(0x20, 0x20);                         // non-specific EOI ends IR0 first
        Assert.Equal(0x02, ReadIsr(0x20));
        Assert.False(_pic.InterruptRequested);
        Out(0x20, 0x20);
        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x23, _pic.Acknowledge(out int irq));
        Assert.Equal(3, irq);
    }

    [Fact]
    public void SlaveInterruptsCascadeThroughIr2()
    {
        Remap();
        Pulse(10);

        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x04, ReadIrr(0x20));
        Assert.Equal(0x04, ReadIrr(0xA0));

        Assert.Equal(0x2A, _pic.Acknowledge(out int irq));
        Assert.Equal(10, irq);
        Assert.Equal(0x04, ReadIsr(0x20));
        Assert.Equal(0x04, ReadIsr(0xA0));
        Assert.Equal(0x00, ReadIrr(0xA0));

        Out(0xA0, 0x20);
        Out(0x20, 0x20);
        Assert.Equal(0x00, ReadIsr(0x20));
        Assert.Equal(0x00, ReadIsr(0xA0));
    }

    [Fact]
    public void SlaveRequestsWaitWhileIr2IsInService()
    {
        Remap();
        Pulse(9);
        Assert.Equal(0x29, _pic.Acknowledge(out _));
        Pulse(8);

        // The slave outranks its own in-service IR1, but the master holds IR2 in service.
        Assert.False(_pic.InterruptRequested);
        Out(0xA0, 0x20);
        Assert.False(_pic.InterruptRequested);
        Out(0x20, 0x20);
        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x28, _pic.Acknowledge(out int irq));
        Assert.Equal(8, irq);
    }

    [Fact]
    public void SpecialFullyNestedModeLetsTheSlaveThrough()
    {
        Remap(icw4: 0x11);
        Pulse(9);
        Assert.Equal(0x29, _pic.Acknowledge(out _));
        Pulse(8);

        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x28, _pic.Acknowledge(out _));
    }

    [Fact]
    public void NothingPendingGivesASpuriousIr7()
    {
        Remap();

        Assert.Equal(0x27, _pic.Acknowledge(out int irq));
        Assert.Equal(-1, irq);
        Assert.Equal(0x00, ReadIsr(0x20));
    }

    [Fact]
    public void ARequestMaskedBeforeAcknowledgeIsSpurious()
    {
        Remap();
        Pulse(5);
        Assert.True(_pic.InterruptRequested);
        Out(0x21, 0x20);

        Assert.False(_pic.InterruptRequested);
        Assert.Equal(0x27, _pic.Acknowledge(out int irq));
        Assert.Equal(-1, irq);
        Assert.Equal(0x20, ReadIrr(0x20));
        Assert.Equal(0x00, ReadIsr(0x20));
    }

    [Fact]
    public void AVanishedSlaveRequestIsASpuriousIr15WithIr2InService()
    {
        Remap();
        Pulse(12);
        Out(0xA1, 0x10);

        // The master latched the cascade edge, so INTR stays up; the slave then has nothing to give.
        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x2F, _pic.Acknowledge(out int irq));
        Assert.Equal(-1, irq);
        Assert.Equal(0x04, ReadIsr(0x20));
        Assert.Equal(0x00, ReadIsr(0xA0));
    }

    [Fact]
    public void SpecificEoiClearsTheNamedLevel()
    {
        Remap();
        Pulse(2);
        Pulse(6);
        _pic.Acknowledge(out _);
        Out(0x21, 0x00);
        Pulse(1);
        _pic.Acknowledge(out _);
        Assert.Equal(0x06, ReadIsr(0x20));

        Out(0x20, 0x62);
        Assert.Equal(0x02, ReadIsr(0x20));
        Out(0x20, 0x61);
        Assert.Equal(0x00, ReadIsr(0x20));
    }

    [Fact]
    public void AutoEoiLeavesNothingInService()
    {
        Remap(icw4: 0x03);
        Pulse(1);

        Assert.Equal(0x21, _pic.Acknowledge(out _));
        Assert.Equal(0x00, ReadIsr(0x20));
        Pulse(3);
        Assert.True(_pic.InterruptRequested);
    }

    [Fact]
    public void RotateOnNonSpecificEoiMakesTheServicedLineLowest()
    {
        Remap();
        Pulse(1);
        _pic.Acknowledge(out _);
        Out(0x20, 0xA0);

        Pulse(1);
        Pulse(4);
        // Priority now runs 2,3,4,5,6,7,0,1.
        Assert.Equal(0x24, _pic.Acknowledge(out _));
        Out(0x20, 0x20);
        Assert.Equal(0x21, _pic.Acknowledge(out _));
    }

    [Fact]
    public void SetPriorityCommandRotates()
    {
        Remap();
        Out(0x20, 0xC5);   // IR5 lowest, so IR6 highest

        Pulse(0);
        Pulse(7);
        Assert.Equal(0x27, _pic.Acknowledge(out int irq));
        Assert.Equal(7, irq);
    }

    [Fact]
    public void RotateInAutoEoiMode()
    {
        Remap(icw4: 0x03);
        Out(0x20, 0x80);
        Pulse(3);
        Pulse(4);
        Assert.Equal(0x23, _pic.Acknowledge(out _));

        // Rotation made IR4 the highest priority and IR3 the lowest.
        Pulse(3);
        Assert.Equal(0x24, _pic.Acknowledge(out _));
        Assert.Equal(0x23, _pic.Acknowledge(out _));
    }

    [Fact]
    public void PollCommandAcknowledgesThroughARead()
    {
        Remap();
        Pulse(6);

        Out(0x20, 0x0C);
        Assert.Equal(0x86, In(0x20));
        Assert.Equal(0x40, ReadIsr(0x20));
        Assert.False(_pic.InterruptRequested);

        Out(0x20, 0x0C);
        Assert.Equal(0x00, In(0x20));
        Out(0x20, 0x0A);
        Assert.Equal(0x00, In(0x20));
    }

    [Fact]
    public void Icw1ForgetsLineHistory()
    {
        Remap();
        _pic.SetIrq(0, true);
        Assert.Equal(0x01, ReadIrr(0x20));

        Remap();
        Assert.Equal(0x00, ReadIrr(0x20));
        Assert.False(_pic.InterruptRequested);

        // QEMU re-latches a line that is still high the next time its device drives it.
        _pic.SetIrq(0, true);
        Assert.Equal(0x01, ReadIrr(0x20));
    }

    [Fact]
    public void InitialisationWithoutIcw4OrInSingleMode()
    {
        Out(0x20, 0x10);       // no ICW4, cascade
        Out(0x21, 0x40);
        Out(0x21, 0x04);
        Out(0x21, 0xFE);       // already OCW1
        Assert.Equal(0xFE, In(0x21));

        Out(0xA0, 0x13);       // single, ICW4
        Out(0xA1, 0x70);
        Out(0xA1, 0x01);       // ICW4
        Out(0xA1, 0xF0);       // OCW1
        Assert.Equal(0xF0, In(0xA1));

        Pulse(1);
        Assert.False(_pic.InterruptRequested);   // 0xFE masks all but IR0
        Pulse(0);
        Assert.Equal(0x40, _pic.Acknowledge(out _));
    }

    [Fact]
    public void Icw2KeepsOnlyTheTopFiveBits()
    {
        Out(0x20, 0x11);
        Out(0x21, 0x27);
        Out(0x21, 0x04);
        Out(0x21, 0x01);
        Pulse(1);

        Assert.Equal(0x21, _pic.Acknowledge(out _));
    }

    [Fact]
    public void LevelTriggeredModeFollowsTheLine()
    {
        Out(0x20, 0x19);
        Out(0x21, 0x20);
        Out(0x21, 0x04);
        Out(0x21, 0x01);

        _pic.SetIrq(3, true);
        Assert.Equal(0x23, _pic.Acknowledge(out _));
        Assert.Equal(0x08, ReadIrr(0x20));
        Out(0x20, 0x20);
        Assert.True(_pic.InterruptRequested);

        _pic.SetIrq(3, false);
        Assert.Equal(0x00, ReadIrr(0x20));
        Assert.False(_pic.InterruptRequested);
    }

    [Fact]
    public void SpecialMaskModeIgnoresMaskedInServiceLevels()
    {
        Remap();
        Pulse(1);
        _pic.Acknowledge(out _);
        Pulse(4);
        Assert.False(_pic.InterruptRequested);

        Out(0x21, 0x02);
        Out(0x20, 0x68);   // set special mask
        Assert.False(_pic.InterruptRequested);   // OCW3 does not re-evaluate, as in QEMU
        Pulse(5);
        Assert.True(_pic.InterruptRequested);
        Assert.Equal(0x24, _pic.Acknowledge(out _));

        Out(0x20, 0x48);   // clear special mask
        Out(0x21, 0x00);
        Assert.False(_pic.InterruptRequested);
    }

    [Fact]
    public void InterruptRequestChangedFiresOnEachChange()
    {
        Remap();
        int changes = 0;
        _pic.InterruptRequestChanged += () => changes++;

        _pic.SetIrq(0, true);
        _pic.SetIrq(1, true);
        Assert.Equal(1, changes);

        _pic.Acknowledge(out _);
        Assert.Equal(2, changes);
        Out(0x20, 0x20);
        Assert.Equal(3, changes);
    }

    [Fact]
    public void WideAccessesCoverBothPortsOfAChip()
    {
        Remap();
        _pic.Write(0x20, 2, 0xFF0A);
        Pulse(0);

        Assert.Equal(0xFF01u, _pic.Read(0x20, 2));
        Assert.Equal(0xFFFFu, _pic.Read(0x21, 2));
    }

    [Fact]
    public void RejectsIrqNumbersOutsideTheIsaRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _pic.SetIrq(16, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => _pic.SetIrq(-1, true));
    }
}
