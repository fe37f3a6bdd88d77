using Iced.Intel;
using Translator.Machine.Cpu;

namespace Translator.Vmm.Backends.Deprivileged;

/// <summary>
/// Virtual-8086 code of the deprivileged guest runs on the processor at CPL 3 as it would on bare metal, but with
/// the VMM's IOPL 0 and the VMM's task state (no I/O bitmap): its IOPL-sensitive instructions (PUSHF, POPF, CLI,
/// STI, INT n, IRET) and every port access raise #GP to the VMM. The VMM executes the instruction again in the
/// virtual view, where IOPL and the TSS's I/O bitmap are the guest's: at the guest's IOPL 3 (or with the port
/// allowed) it completes as on bare metal; otherwise it faults there too, and that #GP is reflected to the guest's
/// own v86 monitor through its IDT. Under bt this path is taken as well: v86 code is never translated.
/// </summary>
public abstract partial class DeprivilegedMonitor
{
    private bool TryEmulateVirtual8086()
    {
        X86Cpu c = _cpu;
        uint ip = c.Eip;
        try
        {
            // The bytes were just fetched by the instruction that trapped, so the shadow maps them.
            c.DecodeVirtual8086(out Instruction instruction);
            c.Eip = (ip + (uint)instruction.Length) & 0xFFFF;
            bool entered = EnterView();
            try
            {
                c.ExecuteVirtual8086(in instruction);
            }
            finally
            {
                if (entered)
                {
                    ExitView();
                }
            }

            _trapped[(int)instruction.Code]++;
        }
        catch (GuestFault fault)
        {
            c.Eip = ip;
            var second = new InterceptedEvent(InterceptedEventKind.Exception, (int)fault.Vector, fault.HasErrorCode, fault.ErrorCode, ip);
            if (second.Vector == (int)ExceptionVector.PageFault)
            {
                HandlePageFault(second);
            }
            else
            {
                Reflect(second);
            }
        }

        return true;
    }
}
