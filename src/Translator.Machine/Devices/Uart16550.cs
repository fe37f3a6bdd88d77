using Translator.Machine.Snapshots;

namespace Translator.Machine.Devices;

/// <summary>
/// A 16550A UART as QEMU's hw/char/serial.c models it, with an instantaneous transmitter and no receive
/// side except loopback. Register semantics, reset values and the points at which the IRQ line is driven follow
/// QEMU, because guests run on both and must print the same bytes.
/// </summary>
public sealed class Uart16550 : IIoDevice, IRestoredStateCheck
{
    public const ushort Com1Port = 0x3F8;
    public const int Com1Irq = 4;
    public const int PortCount = 8;

    private const byte LcrDlab = 0x80;

    private const byte IerRdi = 0x01;
    private const byte IerThri = 0x02;
    private const byte IerRlsi = 0x04;
    private const byte IerMsi = 0x08;

    private const byte IirNoInt = 0x01;
    private const byte IirId = 0x06;
    private const byte IirMsi = 0x00;
    private const byte IirThri = 0x02;
    private const byte IirRdi = 0x04;
    private const byte IirRlsi = 0x06;
    private const byte IirFifoEnabled = 0xC0;

    private const byte McrLoop = 0x10;

    private const byte MsrAnyDelta = 0x0F;

    private const byte LsrDr = 0x01;
    private const byte LsrOe = 0x02;
    private const byte LsrBi = 0x10;
    private const byte LsrThre = 0x20;
    private const byte LsrTemt = 0x40;
    private const byte LsrIntAny = 0x1E;

    private const byte FcrFe = 0x01;
    private const byte FcrRfr = 0x02;
    private const byte FcrXfr = 0x04;

    private const int FifoLength = 16;

    private readonly IInterruptLines _irqs;
    private readonly int _irq;
    private readonly Action<byte> _transmit;

    // Loopback is the only way bytes arrive; a small ring stands in for QEMU's receive FIFO.
    private readonly byte[] _receiveFifo = new byte[FifoLength];
    private int _receiveHead;
    private int _receiveCount;
    private int _receiveTriggerLevel = 1;

    private ushort _divider = 0x0C;
    private byte _rbr;
    private byte _ier;
    private byte _iir = IirNoInt;
    private byte _lcr;
    private byte _mcr = 0x08;
    private byte _lsr = LsrTemt | LsrThre;
    private byte _msr = 0xB0;
    private byte _scr;
    private byte _fcr;
    private bool _thrInterruptPending;

    public Uart16550(IInterruptLines irqs, int irq, Action<byte> transmit)
    {
        ArgumentNullException.ThrowIfNull(irqs);
        ArgumentNullException.ThrowIfNull(transmit);
        if ((uint)irq > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(irq), "an ISA IRQ line is 0-15");
        }

        _irqs = irqs;
        _irq = irq;
        _transmit = transmit;
    }

    /// <summary>Whether the UART currently drives its IRQ line high (some enabled interrupt is pending).</summary>
    public bool InterruptPending => (_iir & 0x0F) != IirNoInt;

    public uint Read(ushort port, int size)
    {
        // QEMU's registers are one byte wide; a wider access is split low byte first over consecutive registers.
        uint value = 0;
        for (int i = 0; i < size; i++)
        {
            int register = (port & 7) + i;
            uint b = register < PortCount ? ReadRegister(register) : 0xFFu;
            value |= b << (8 * i);
        }

        return value;
    }

    public void Write(ushort port, int size, uint value)
    {
        for (int i = 0; i < size; i++)
        {
            int register = (port & 7) + i;
            if (register < PortCount)
            {
                WriteRegister(register, (byte)(value >> (8 * i)));
            }
        }
    }

    /// <summary>The receive ring's head is an index into it and its count at most its length (both index the ring).</summary>
    void IRestoredStateCheck.CheckRestoredState()
    {
        RestoredState.InRange(nameof(_receiveHead), _receiveHead, 0, FifoLength - 1);
        RestoredState.InRange(nameof(_receiveCount), _receiveCount, 0, FifoLength);
    }

    private byte ReadRegister(int register)
    {
        switch (register)
        {
            case 0:
                return (_lcr & LcrDlab) != 0 ? (byte)_divider : ReadReceiveBuffer();
            case 1:
                return (_lcr & LcrDlab) != 0 ? (byte)(_divider >> 8) : _ier;
            case 2:
            {
                byte iir = _iir;
                // Reading IIR acknowledges a THR-empty interrupt only when it is the one being reported.
                if ((iir & IirId) == IirThri)
                {
                    _thrInterruptPending = false;
                    UpdateIrq();
                }

                return iir;
            }
            case 3:
                return _lcr;
            case 4:
                return _mcr;
            case 5:
            {
                byte lsr = _lsr;
                if ((_lsr & (LsrBi | LsrOe)) != 0)
                {
                    _lsr &= unchecked((byte)~(LsrBi | LsrOe));
                    UpdateIrq();
                }

                return lsr;
            }
            case 6:
                if ((_mcr & McrLoop) != 0)
                {
                    // In loopback the modem outputs feed the status inputs: OUT2->DCD, OUT1->RI, RTS->CTS, DTR->DSR.
                    return (byte)(((_mcr & 0x0C) << 4) | ((_mcr & 0x02) << 3) | ((_mcr & 0x01) << 5));
                }

                // No host modem lines exist, so MSR keeps its reset value (DCD|DSR|CTS) and never has deltas.
                return _msr;
            default:
                return _scr;
        }
    }

    private byte ReadReceiveBuffer()
    {
        byte value;
        if ((_fcr & FcrFe) != 0)
        {
            value = 0;
            if (_receiveCount > 0)
            {
                value = _receiveFifo[_receiveHead];
                _receiveHead = (_receiveHead + 1) % FifoLength;
                _receiveCount--;
            }

            if (_receiveCount == 0)
            {
                _lsr &= unchecked((byte)~(LsrDr | LsrBi));
            }
        }
        else
        {
            value = _rbr;
            _lsr &= unchecked((byte)~(LsrDr | LsrBi));
        }

        UpdateIrq();
        return value;
    }

    private void WriteRegister(int register, byte value)
    {
        switch (register)
        {
            case 0:
                if ((_lcr & LcrDlab) != 0)
                {
                    _divider = (ushort)((_divider & 0xFF00) | value);
                }
                else
                {
                    WriteTransmitHolding(value);
                }

                break;
            case 1:
                if ((_lcr & LcrDlab) != 0)
                {
                    _divider = (ushort)((_divider & 0x00FF) | (value << 8));
                }
                else
                {
                    WriteInterruptEnable(value);
                }

                break;
            case 2:
                WriteFifoControl(value);
                break;
            case 3:
                _lcr = value;
                break;
            case 4:
                _mcr = (byte)(value & 0x1F);
                break;
            case 5:
            case 6:
                // LSR and MSR are read-only.
                break;
            default:
                _scr = value;
                break;
        }
    }

    private void WriteTransmitHolding(byte value)
    {
        // The holding register empties at once, but the line still dips and rises again, as in QEMU, so an
        // edge-triggered PIC sees one new THR-empty edge per byte written.
        _thrInterruptPending = false;
        _lsr &= unchecked((byte)~(LsrThre | LsrTemt));
        UpdateIrq();

        _lsr |= LsrThre;
        _thrInterruptPending = true;
        UpdateIrq();

        if ((_mcr & McrLoop) != 0)
        {
            Receive(value);
        }
        else
        {
            _transmit(value);
        }

        _lsr |= LsrTemt;
    }

    private void WriteInterruptEnable(byte value)
    {
        byte changed = (byte)((_ier ^ value) & 0x0F);
        _ier = (byte)(value & 0x0F);

        // Enabling THRI while THR is empty raises the interrupt again even if an IIR read had cleared it
        // (QEMU does this because Windows relies on it).
        if ((changed & IerThri) != 0)
        {
            _thrInterruptPending = (_ier & IerThri) != 0 && (_lsr & LsrThre) != 0;
        }

        if (changed != 0)
        {
            UpdateIrq();
        }
    }

    private void WriteFifoControl(byte value)
    {
        // Toggling the enable bit flushes both FIFOs.
        if (((value ^ _fcr) & FcrFe) != 0)
        {
            value |= FcrXfr | FcrRfr;
        }

        if ((value & FcrRfr) != 0)
        {
            _lsr &= unchecked((byte)~(LsrDr | LsrBi));
            _receiveHead = 0;
            _receiveCount = 0;
        }

        if ((value & FcrXfr) != 0)
        {
            _lsr |= LsrThre;
            _thrInterruptPending = true;
        }

        _fcr = (byte)(value & 0xC9);
        if ((_fcr & FcrFe) != 0)
        {
            _iir |= IirFifoEnabled;
            _receiveTriggerLevel = (_fcr & 0xC0) switch { 0x00 => 1, 0x40 => 4, 0x80 => 8, _ => 14 };
        }
        else
        {
            _iir &= unchecked((byte)~IirFifoEnabled);
        }

        UpdateIrq();
    }

    private void Receive(byte value)
    {
        if ((_fcr & FcrFe) != 0)
        {
            if (_receiveCount < FifoLength)
            {
                _receiveFifo[(_receiveHead + _receiveCount) % FifoLength] = value;
                _receiveCount++;
            }
            else
            {
                // Overruns do not overwrite FIFO contents.
                _lsr |= LsrOe;
            }

            _lsr |= LsrDr;
        }
        else
        {
            if ((_lsr & LsrDr) != 0)
            {
                _lsr |= LsrOe;
            }

            _rbr = value;
            _lsr |= LsrDr;
        }

        UpdateIrq();
    }

    private void UpdateIrq()
    {
        // Same priority order as the 16550A (and QEMU). The character-timeout source is not modelled: it needs a
        // receive timer and only loopback can ever fill the receive FIFO here.
        byte source = IirNoInt;
        if ((_ier & IerRlsi) != 0 && (_lsr & LsrIntAny) != 0)
        {
            source = IirRlsi;
        }
        else if ((_ier & IerRdi) != 0 && (_lsr & LsrDr) != 0
                 && ((_fcr & FcrFe) == 0 || _receiveCount >= _receiveTriggerLevel))
        {
            source = IirRdi;
        }
        else if ((_ier & IerThri) != 0 && _thrInterruptPending)
        {
            source = IirThri;
        }
        else if ((_ier & IerMsi) != 0 && (_msr & MsrAnyDelta) != 0)
        {
            source = IirMsi;
        }

        _iir = (byte)(source | (_iir & 0xF0));

        // QEMU does not gate the line with MCR.OUT2, and re-drives it on every update; the PIC's edge detector
        // depends on seeing the same sequence of levels.
        _irqs.SetIrq(_irq, source != IirNoInt);
    }
}
