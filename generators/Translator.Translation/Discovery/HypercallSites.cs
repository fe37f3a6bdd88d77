using System.Collections.Generic;
using Iced.Intel;
using Translator.Paravirt.Abi;
using Translator.Translation.Loading;

namespace Translator.Translation.Discovery;

/// <summary>The stubs of the hypercall page (docs/paravirt-abi.md section 4.4), which hypercall sites stand for.</summary>
internal static class HypercallStub
{
    /// <summary>Stub n (n != 23): <c>mov eax, n</c> (5 bytes), <c>int 0x82</c> at +5, <c>ret</c> at +7.</summary>
    public const uint IntOffset = 5, RetOffset = 7;

    /// <summary>Stub 23: <c>push eax</c>, <c>mov eax, 23</c>, <c>int 0x82</c> at +6.</summary>
    public const uint IretIntOffset = 6;
}

/// <summary>
/// The PV part of discovery: every way discovered code reaches the VMM (a call or jump into the hypercall page, a
/// literal <c>int 0x82</c>) is marked as a hypercall site, emitted as a direct call into the VMM; and an instruction
/// that faults at CPL 1 refuses the image, since a PV kernel is built against the hypercall interface instead.
/// </summary>
internal static class HypercallSites
{
    public static void Mark(GuestImage image, IEnumerable<PageCode> pages, Formatter formatter)
    {
        foreach (PageCode page in pages)
        {
            foreach (DecodedInstruction d in page.Instructions)
            {
                ref Instruction i = ref d.Instruction;
                if (IsPrivileged(in i))
                {
                    var output = new StringOutput();
                    formatter.Format(in i, output);
                    throw new PrivilegedInstructionException(d.Ip, output.ToStringAndReset());
                }

                if (i.Code == Code.Int_imm8 && i.Immediate8 == HypercallNumber.Vector)
                {
                    d.Hypercall = HypercallSite.Int;
                    d.Form = Form.Fallback;
                }
                else if (d.DirectTarget is uint target && image.InHypercallPage(target) && (target - image.HypercallPage) % HypercallNumber.StubBytes == 0)
                {
                    // A call enters a stub and comes back; only iret's stub is entered with a jump (it never returns).
                    // A jump into another stub (a tail call) is left as it is: an exit to the interpreter.
                    int n = (int)((target - image.HypercallPage) / HypercallNumber.StubBytes);
                    bool call = i.Code == Code.Call_rel32_32 && n != HypercallNumber.Iret;
                    bool iret = i.Code is Code.Jmp_rel32_32 or Code.Jmp_rel8_32 && n == HypercallNumber.Iret;
                    if (call || iret)
                    {
                        d.Hypercall = call ? HypercallSite.Call : HypercallSite.Jump;
                        d.HypercallNumber = n;
                        d.Form = Form.Fallback; // a VMM call: flags recorded before, registers reloaded after, as a handler
                    }
                }
            }
        }
    }

    /// <summary>The instructions that fault (#GP) at CPL 1 with IOPL 0 (I/O instructions included).</summary>
    public static bool IsPrivileged(in Instruction i) => i.Mnemonic switch
    {
        Mnemonic.Cli or Mnemonic.Sti or Mnemonic.Hlt
            or Mnemonic.In or Mnemonic.Out or Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd
            or Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd
            or Mnemonic.Lgdt or Mnemonic.Lidt or Mnemonic.Lldt or Mnemonic.Ltr or Mnemonic.Lmsw or Mnemonic.Clts
            or Mnemonic.Invlpg or Mnemonic.Rdmsr or Mnemonic.Wrmsr or Mnemonic.Wbinvd or Mnemonic.Invd => true,
        Mnemonic.Mov => IsControlOrDebug(i.Op0Register) || IsControlOrDebug(i.Op1Register),
        _ => false,
    };

    private static bool IsControlOrDebug(Register r) => r is >= Register.CR0 and <= Register.CR15 or >= Register.DR0 and <= Register.DR15;

    /// <summary>Xen's name of hypercall <paramref name="number"/> (for the generated code's comments).</summary>
    public static string NameOf(int number) => number switch
    {
        HypercallNumber.SetTrapTable => "set_trap_table",
        HypercallNumber.MmuUpdate => "mmu_update",
        HypercallNumber.SetGdt => "set_gdt",
        HypercallNumber.StackSwitch => "stack_switch",
        HypercallNumber.SetCallbacks => "set_callbacks",
        HypercallNumber.FpuTaskswitch => "fpu_taskswitch",
        HypercallNumber.Multicall => "multicall",
        HypercallNumber.UpdateVaMapping => "update_va_mapping",
        HypercallNumber.SetTimerOp => "set_timer_op",
        HypercallNumber.XenVersion => "xen_version",
        HypercallNumber.ConsoleIo => "console_io",
        HypercallNumber.Iret => "iret",
        HypercallNumber.VcpuOp => "vcpu_op",
        HypercallNumber.MmuextOp => "mmuext_op",
        HypercallNumber.SchedOp => "sched_op",
        HypercallNumber.EventChannelOp => "event_channel_op",
        HypercallNumber.PhysdevOp => "physdev_op",
        _ => "unknown",
    };
}
