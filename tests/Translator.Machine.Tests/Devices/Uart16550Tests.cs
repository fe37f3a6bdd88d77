using Translator.Machine.Devices;
using Xunit;

namespace Translator.Machine.Tests.Devices;

public class Uart16550Tests
{
    private const ushort Thr = 0x3F8;
    private const ushort Ier = 0x3F9;
    private const ushort Iir = 0x3FA;
    private const ushort Fcr = 0x3FA;
    private const ushort Lcr = 0x3FB;
    private const ushort Mcr = 0x3FC;
    private const ushort Lsr = 0x3FD;
    private const ushort Msr = 0x3FE;
    private const ushort Scr = 0x3FF;

    private readonly RecordingInterruptLines _irqs = new();
    private readonly List<byte> _sent = [];
    private readonly Uart16550 _uart;

    public Uart16550Tests()
    {
        _uart = new Uart16550(_irqs, 4, _sent.Add);
    }

    private byte In(ushort port) => (byte)_uart.Read(port, 1);

    private void Out(ushort port, byte value) => _uart.Write(port, 1, value);

    [Fact]
    public void PowerOnRegistersMatchQemuReset()
    {
        Assert.Equal(0x00, In(Ier));
        Assert.Equal(0x01, In(Iir));
        Assert.Equal(0x00, In(Lcr));
        Assert.Equal(0x08, In(Mcr));
        Assert.Equal(0x60, In(Lsr));
        Assert.Equal(0xB0, In(Msr));
        Assert.Equal(0x00, In(Scr));
        Assert.Equal(0x00, In(Thr));

        Out(Lcr, 0x80);
        Assert.Equal(0x0C, In(Thr));
        Assert.Equal(0x00, In(Ier));
        Assert.DoesNotContain((4, true), _irqs.Calls);
    }

    [Fact]
    public void ThrWriteTransmitsAndLsrStaysEmpty()
    {
        Out(Thr, (byte)'H');
        Out(Thr, (byte)'i');

        Assert.Equal("Hi"u8.ToArray(), _sent.ToArray());
        Assert.Equal(0x60, In(Lsr));
        Assert.Equal(0x00, In(Lsr) & 0x01);
    }

    [Fact]
    public void DlabRedirectsThrAndIerToTheDivisorLatch()
    {
        Out(Lcr, 0x83);
        Out(Thr, 0x01);
        Out(Ier, 0x02);
        Assert.Equal(0x01, In(Thr));
        Assert.Equal(0x02, In(Ier));
        Assert.Empty(_sent);

        Out(Lcr, 0x03);
        Assert.Equal(0x03, In(Lcr));
        Assert.Equal(0x00, In(Ier));
        Assert.Equal(0x01, In(Iir));
    }

    [Fact]
    public void ScratchMcrAndIerKeepTheirDefinedBits()
    {
        Out(Scr, 0xA5);
        Out(Mcr, 0xFF);
        Out(Ier, 0xFF);

        Assert.Equal(0xA5, In(Scr));
        Assert.Equal(0x1F, In(Mcr));
        Assert.Equal(0x0F, In(Ier));
    }

    [Fact]
    public void LsrAndMsrIgnoreWrites()
    {
        Out(Lsr, 0x00);
        Out(Msr, 0x00);

        Assert.Equal(0x60, In(Lsr));
        Assert.Equal(0xB0, In(Msr));
    }

    [Fact]
    public void EnablingThriWithAnEmptyThrRaisesTheInterrupt()
    {
        Out(Ier, 0x02);

        Assert.True(_irqs.Level(4));
        Assert.True(_uart.InterruptPending);
        Assert.Equal(0x02, In(Iir));

        // That read reported THRE, so it acknowledged it.
        Assert.False(_irqs.Level(4));
        Assert.Equal(0x01, In(Iir));
        Assert.False(_uart.InterruptPending);
    }

    [Fact]
    public void RewritingIerWithThriUnchangedDoesNotRaiseAgain()
    {
        Out(Ier, 0x02);
        In(Iir);

        Out(Ier, 0x02);
        Assert.Equal(0x01, In(Iir));

        Out(Ier, 0x00);
        Out(Ier, 0x02);
        Assert.Equal(0x02, In(Iir));
    }

    [Fact]
    public void EachThrWriteProducesANewRisingEdge()
    {
        Out(Ier, 0x02);
        In(Iir);
        _irqs.Calls.Clear();

        Out(Thr, (byte)'a');
        Out(Thr, (byte)'b');

        Assert.Equal([(4, false), (4, true), (4, false), (4, true)], _irqs.Calls);
        Assert.Equal(2, _irqs.RisingEdges(4));
        Assert.Equal(0x02, In(Iir));
    }

    [Fact]
    public void WithoutThriAThrWriteLeavesTheLineLow()
    {
        Out(Thr, (byte)'x');

        Assert.Equal([(4, false), (4, false)], _irqs.Calls);
        Assert.Equal(0x01, In(Iir));
    }

    [Fact]
    public void Out2DoesNotGateTheLineAsInQemu()
    {
        Out(Mcr, 0x00);
        Out(Ier, 0x02);

        Assert.True(_irqs.Level(4));
    }

    [Fact]
    public void FifoEnableShowsInIir()
    {
        Out(Fcr, 0xC7);
        Assert.Equal(0xC1, In(Iir));

        Out(Ier, 0x02);
        Assert.Equal(0xC2, In(Iir));
        Assert.Equal(0xC1, In(Iir));

        Out(Thr, (byte)'z');
        Assert.Equal("z"u8.ToArray(), _sent.ToArray());
        Assert.Equal(0x60, In(Lsr));

        // Disabling the FIFO flushes the transmitter too, which re-arms THRE.
        Out(Fcr, 0x00);
        Assert.Equal(0x02, In(Iir));
        Assert.Equal(0x01, In(Iir));
    }

    [Fact]
    public void TransmitFifoResetRaisesThreWhenEnabled()
    {
        Out(Ier, 0x02);
        In(Iir);
        Assert.False(_irqs.Level(4));

        // Enabling the FIFO flushes it, which re-arms the THR-empty interrupt.
        Out(Fcr, 0x01);

        Assert.True(_irqs.Level(4));
        Assert.Equal(0xC2, In(Iir));
    }

    [Fact]
    public void LoopbackReceivesInsteadOfTransmitting()
    {
        Out(Mcr, 0x10);
        Out(Thr, 0x41);

        Assert.Empty(_sent);
        Assert.Equal(0x61, In(Lsr));
        Assert.Equal(0x41, In(Thr));
        Assert.Equal(0x60, In(Lsr));
    }

    [Fact]
    public void LoopbackOverrunSetsOeUntilLsrIsRead()
    {
        Out(Mcr, 0x10);
        Out(Thr, 1);
        Out(Thr, 2);

        Assert.Equal(0x63, In(Lsr));
        Assert.Equal(0x61, In(Lsr));
        Assert.Equal(2, In(Thr));
    }

    [Fact]
    public void LoopbackFifoQueuesBytes()
    {
        Out(Fcr, 0x01);
        Out(Mcr, 0x10);
        Out(Thr, 1);
        Out(Thr, 2);
        Out(Thr, 3);

        Assert.Equal(0x61, In(Lsr));
        Assert.Equal(1, In(Thr));
        Assert.Equal(2, In(Thr));
        Assert.Equal(0x61, In(Lsr));
        Assert.Equal(3, In(Thr));
        Assert.Equal(0x60, In(Lsr));
        Assert.Equal(0, In(Thr));
    }

    [Fact]
    public void ReceivedDataOutranksThrEmpty()
    {
        Out(Mcr, 0x10);
        Out(Ier, 0x03);
        In(Iir);
        Out(Thr, 0x55);

        Assert.Equal(0x04, In(Iir));
        Assert.True(_irqs.Level(4));
        In(Thr);
        Assert.Equal(0x02, In(Iir));
        Assert.Equal(0x01, In(Iir));
        Assert.False(_irqs.Level(4));
    }

    [Fact]
    public void LineStatusInterruptReportsOverrun()
    {
        Out(Mcr, 0x10);
        Out(Ier, 0x04);
        Out(Thr, 1);
        Out(Thr, 2);

        Assert.Equal(0x06, In(Iir));
        Assert.Equal(0x63, In(Lsr));
        Assert.Equal(0x01, In(Iir));
    }

    [Fact]
    public void LoopbackMsrMirrorsModemControl()
    {
        Out(Mcr, 0x1F);
        Assert.Equal(0xF0, In(Msr));

        Out(Mcr, 0x11);
        Assert.Equal(0x20, In(Msr));

        Out(Mcr, 0x12);
        Assert.Equal(0x10, In(Msr));

        Out(Mcr, 0x0F);
        Assert.Equal(0xB0, In(Msr));
    }

    [Fact]
    public void WideAccessesSplitIntoConsecutiveRegisters()
    {
        _uart.Write(Thr, 2, 0x0241);

        Assert.Equal([(byte)0x41], _sent);
        Assert.Equal(0x02, In(Ier));
        Assert.Equal(0xB060u, _uart.Read(Lsr, 2));
        Assert.Equal(0x00B0u, _uart.Read(Msr, 2));
    }

    [Fact]
    public void ReadsPastTheLastRegisterFloat()
    {
        Out(Scr, 0x5A);

        Assert.Equal(0xFFFF_FF5Au, _uart.Read(Scr, 4));
        Assert.Equal(0xB0_60u, _uart.Read(Lsr, 2));
    }

    [Fact]
    public void WorksOnTheBusAtCom1()
    {
        var bus = new IoBus();
        bus.Register(Uart16550.Com1Port, Uart16550.PortCount, _uart);

        foreach (byte b in "ok\n"u8)
        {
            while ((bus.Read(Lsr, 1) & 0x20) == 0)
            {
            }

            bus.Write(Thr, 1, b);
        }

        Assert.Equal("ok\n"u8.ToArray(), _sent.ToArray());
    }

    [Fact]
    public void RejectsBadConstructorArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Uart16550(_irqs, 16, _ => { }));
        Assert.Throws<ArgumentNullException>(() => new Uart16550(null!, 4, _ => { }));
        Assert.Throws<ArgumentNullException>(() => new Uart16550(_irqs, 4, null!));
    }
}
