using Translator.Machine.Cpu;

namespace Translator.Machine.Devices;

/// <summary>
/// The PC's wiring of the x87 error signal (the "DOS-compatible" FPU error reporting used with CR0.NE = 0): the
/// processor's FERR# raises ISA IRQ 13, and a write of any value to port 0xF0 (IGNNE#) lowers it and re-arms the
/// processor's latch, as QEMU's PC models it. Reads of port 0xF0 return all ones, as an unassigned port does.
/// </summary>
public sealed class FloatingPointErrorLine(IInterruptLines isa) : IIoDevice
{
    public const ushort Port = 0xF0;
    public const int Irq = 13;

    private X86Cpu? _cpu;

    /// <summary>
    /// Wires <paramref name="cpu"/>'s FERR# to IRQ 13 and this port's write to its latch; <paramref name="raised"/>
    /// tells a VMM whose guest runs in VMX non-root mode that an external interrupt arrived (it exits to inject it).
    /// </summary>
    public void Connect(X86Cpu cpu, Action? raised = null)
    {
        _cpu = cpu;
        cpu.FloatingPointError = level =>
        {
            isa.SetIrq(Irq, level);
            raised?.Invoke();
        };
    }

    public uint Read(ushort port, int size) => size switch { 1 => 0xFFu, 2 => 0xFFFFu, _ => 0xFFFF_FFFFu };

    public void Write(ushort port, int size, uint value)
    {
        isa.SetIrq(Irq, false);
        if (_cpu is not null)
        {
            _cpu.Fpu.ErrorSignalled = false;
        }
    }
}
