using System.Runtime.InteropServices;

namespace Translator.Guest;

/// <summary>
/// The state an interrupt handler sees, as the handler's entry stub leaves it on the kernel stack: the data segment
/// registers, the general registers in PUSHAD order, the vector, the error code (0 for vectors without one) and the
/// frame the CPU pushed. <see cref="UserEsp"/> and <see cref="UserSs"/> exist only when ring 3 was interrupted.
/// Changing a field changes what IRET restores.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct InterruptFrame
{
    public uint Gs;
    public uint Fs;
    public uint Es;
    public uint Ds;
    public uint Edi;
    public uint Esi;
    public uint Ebp;
    public uint KernelEsp;
    public uint Ebx;
    public uint Edx;
    public uint Ecx;
    public uint Eax;
    public uint Vector;
    public uint ErrorCode;
    public uint Eip;
    public uint Cs;
    public uint Eflags;
    public uint UserEsp;
    public uint UserSs;
}
