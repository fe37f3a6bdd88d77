using System.Text;
using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests;

/// <summary>
/// One test per basic exit reason: the exit happens where the SDM says, with the SDM's qualification and
/// instruction length, and the VMM's emulation gives the guest the result bare metal would.
/// </summary>
public sealed class ExitReasonTests
{
    private static void Exit(Assembler a, uint value)
    {
        a.mov(eax, value);
        a.@out(0xF4, eax);
    }

    private static void AssertDebugExit(MachineResult result, uint value)
    {
        Assert.True(result.Reason == MachineStopReason.DebugExit, $"{result.Reason}: {result.Message}");
        Assert.Equal(value, result.DebugExitValue);
    }

    [Fact]
    public void CpuidAlwaysExitsAndReportsTheProcessorModel()
    {
        var h = HwHarness.Boot(a =>
        {
            a.xor(eax, eax);
            a.cpuid();
            Exit(a, 0);
        });
        AssertDebugExit(h.Run(), 0);
        VmExitInformation exit = h.Single(VmExitReason.Cpuid);
        Assert.Equal(0u, exit.Qualification);
        Assert.Equal(2u, exit.InstructionLength);
        string vendor = Encoding.ASCII.GetString(
            [.. BitConverter.GetBytes(h.Cpu.GetRegister(X86Cpu.EBX)), .. BitConverter.GetBytes(h.Cpu.GetRegister(X86Cpu.EDX)), .. BitConverter.GetBytes(h.Cpu.GetRegister(X86Cpu.ECX))]);
        Assert.Equal("GenuineIntel", vendor);
    }

    [Fact]
    public void HltExitsAndWithInterruptsOffTheGuestHaltsForGood()
    {
        var h = HwHarness.Boot(a =>
        {
            a.cli();
            a.hlt();
        });
        MachineResult result = h.Run();
        Assert.Equal(MachineStopReason.Halted, result.Reason);
        VmExitInformation exit = h.Single(VmExitReason.Hlt);
        Assert.Equal(1u, exit.InstructionLength);
        Assert.Equal(exit.GuestEip + 1, h.Cpu.Eip); // the VMM completed the HLT
    }

    [Fact]
    public void InvlpgExitsUnderShadowPagingAndDropsTheStaleTranslation()
    {
        var h = HwHarness.Boot(a =>
        {
            HwHarness.EmitEnablePaging(a);
            a.mov(ebx, __dword_ptr[HwHarness.DataPage]);
            a.mov(__dword_ptr[HwHarness.PageTable + (HwHarness.DataPage >> 12) * 4], HwHarness.DataPage + 0x1007);
            a.mov(ecx, __dword_ptr[HwHarness.DataPage]); // stale, like a TLB entry
            a.invlpg(__[HwHarness.DataPage]);
            a.mov(edx, __dword_ptr[HwHarness.DataPage]);
            Exit(a, 0);
        }, MemoryVirtualization.ShadowPaging);
        h.Memory.Write32(HwHarness.DataPage, 0x1111_1111);
        h.Memory.Write32(HwHarness.DataPage + 0x1000, 0x2222_2222);
        AssertDebugExit(h.Run(), 0);
        VmExitInformation exit = h.Single(VmExitReason.Invlpg);
        Assert.Equal(HwHarness.DataPage, exit.Qualification);
        Assert.Equal(7u, exit.InstructionLength);
        Assert.Equal(0x1111_1111u, h.Cpu.GetRegister(X86Cpu.EBX));
        Assert.Equal(0x1111_1111u, h.Cpu.GetRegister(X86Cpu.ECX));
        Assert.Equal(0x2222_2222u, h.Cpu.GetRegister(X86Cpu.EDX));
    }

    [Fact]
    public void InvlpgDoesNotExitUnderNestedPaging()
    {
        var h = HwHarness.Boot(a =>
        {
            HwHarness.EmitEnablePaging(a);
            a.invlpg(__[HwHarness.DataPage]);
            Exit(a, 0);
        });
        AssertDebugExit(h.Run(), 0);
        Assert.DoesNotContain(h.Exits, e => e.Reason is VmExitReason.Invlpg or VmExitReason.CrAccess);
    }

    [Fact]
    public void RdtscExitsWhenAskedAndOtherwiseSeesTheTscOffset()
    {
        foreach (bool exiting in new[] { true, false })
        {
            var h = HwHarness.Boot(a =>
            {
                a.rdtsc();
                Exit(a, 0);
            });
            h.Vmcs.TscOffset = 1UL << 40;
            if (exiting)
            {
                h.Vmcs.Primary |= ProcessorControls.RdtscExiting;
            }

            AssertDebugExit(h.Run(), 0);
            Assert.Equal(0x100u, h.Cpu.GetRegister(X86Cpu.EDX)); // (2^40 + a few ns) >> 32
            if (exiting)
            {
                Assert.Equal(2u, h.Single(VmExitReason.Rdtsc).InstructionLength);
            }
            else
            {
                Assert.DoesNotContain(h.Exits, e => e.Reason == VmExitReason.Rdtsc);
            }
        }
    }

    [Fact]
    public void VmcallIsAHypercallWithKvmNumbering()
    {
        var h = HwHarness.Boot(a =>
        {
            a.mov(eax, 1);
            a.vmcall();
            a.mov(ebx, eax);
            a.mov(eax, 0x99);
            a.vmcall();
            a.mov(ecx, eax);
            Exit(a, 0);
        });
        AssertDebugExit(h.Run(), 0);
        Assert.Equal(2, h.Exits.Count(e => e.Reason == VmExitReason.Vmcall));
        Assert.All(h.Exits.Where(e => e.Reason == VmExitReason.Vmcall), e => Assert.Equal(3u, e.InstructionLength));
        Assert.Equal(0u, h.Cpu.GetRegister(X86Cpu.EBX));
        Assert.Equal(unchecked((uint)-1000), h.Cpu.GetRegister(X86Cpu.ECX));
    }

    [Fact]
    public void ControlRegisterAccessUnderShadowPagingShowsTheGuestItsOwnValues()
    {
        var h = HwHarness.Boot(a =>
        {
            HwHarness.EmitEnablePaging(a);
            a.mov(ebx, cr3);
            a.mov(esi, cr0);
            Exit(a, 0);
        }, MemoryVirtualization.ShadowPaging);
        AssertDebugExit(h.Run(), 0);
        uint[] qualifications = h.Exits.Where(e => e.Reason == VmExitReason.CrAccess).Select(e => e.Qualification).ToArray();
        // mov cr3, eax (CR3, MOV to, EAX); mov cr0, eax (CR0, MOV to, EAX); mov ebx, cr3 (CR3, MOV from, EBX).
        Assert.Equal([0x003u, 0x000u, 0x313u], qualifications);
        Assert.Equal(HwHarness.PageDirectory, h.Cpu.GetRegister(X86Cpu.EBX));
        Assert.NotEqual(HwHarness.PageDirectory, h.Cpu.Cr3); // the processor walks the VMM's shadow directory
        Assert.NotEqual(0u, h.Cpu.GetRegister(X86Cpu.ESI) & 0x8000_0000);
    }

    [Fact]
    public void CltsAndLmswExitWhenTsIsOwnedByTheVmm()
    {
        var h = HwHarness.Boot(a =>
        {
            a.clts();
            a.mov(esi, cr0);
            a.mov(eax, 0x9); // PE | TS
            a.lmsw(ax);
            a.smsw(edi);
            Exit(a, 0);
        });
        h.Vmcs.Cr0GuestHostMask = 0x8;
        h.Vmcs.Cr0ReadShadow = 0x8;
        AssertDebugExit(h.Run(), 0);
        uint[] qualifications = h.Exits.Where(e => e.Reason == VmExitReason.CrAccess).Select(e => e.Qualification).ToArray();
        Assert.Equal([0x20u, (0x9u << 16) | 0x30u], qualifications); // CLTS; LMSW from AX with source data 9
        Assert.Equal(0u, h.Cpu.GetRegister(X86Cpu.ESI) & 0x8);
        Assert.Equal(0x8u, h.Cpu.GetRegister(X86Cpu.EDI) & 0x8);
    }

    [Fact]
    public void Cr3LoadOfATargetValueDoesNotExit()
    {
        var h = HwHarness.Boot(a =>
        {
            a.mov(eax, 0x5000);
            a.mov(cr3, eax);
            a.mov(eax, 0x6000);
            a.mov(cr3, eax);
            Exit(a, 0);
        });
        h.Vmcs.Primary |= ProcessorControls.Cr3LoadExiting;
        h.Vmcs.Cr3TargetValues[0] = 0x5000;
        h.Vmcs.Cr3TargetCount = 1;
        AssertDebugExit(h.Run(), 0);
        Assert.Equal(0x003u, h.Single(VmExitReason.CrAccess).Qualification);
        Assert.Equal(0x6000u, h.Cpu.Cr3);
    }

    [Fact]
    public void IoInstructionsExitWithTheirQualificationAndReachTheVirtualDevices()
    {
        var h = HwHarness.Boot(a =>
        {
            a.mov(dx, 0x3F8);
            a.mov(al, (byte)'A');
            a.@out(dx, al);
            a.@in(al, 0x21);
            a.movzx(ebx, al);
            a.mov(esi, HwHarness.DataPage);
            a.mov(ecx, 3);
            a.rep.outsb();
            a.mov(dx, 0x99);
            a.@in(ax, dx);
            a.movzx(edi, ax);
            a.@out(0x80, al); // the POST port is passed through: no exit
            Exit(a, 0);
        });
        h.Memory.Write32(HwHarness.DataPage, 0x007A_7978); // "xyz"
        AssertDebugExit(h.Run(), 0);
        VmExitInformation[] io = h.Exits.Where(e => e.Reason == VmExitReason.IoInstruction).ToArray();
        Assert.Equal(0x03F8_0000u, io[0].Qualification);               // OUT DX, AL: 1 byte, out, DX-encoded
        Assert.Equal(0x0021_0048u, io[1].Qualification);               // IN AL, 0x21: in, immediate
        Assert.Equal(0x03F8_0030u, io[2].Qualification);               // REP OUTSB: string, REP
        Assert.Equal(HwHarness.DataPage, io[2].GuestLinearAddress);
        Assert.Equal((1u << 7) | (3u << 15), io[2].InstructionInfo);   // 32-bit addressing, segment DS (3)
        Assert.Equal(0x0099_0009u, io[3].Qualification);               // IN AX, DX: 2 bytes, in
        Assert.Equal(5, io.Length);                                    // and the final OUT to 0xF4; none for port 0x80
        Assert.Equal("Axyz", Encoding.ASCII.GetString(h.Console));
        Assert.Equal(0xFBu, h.Cpu.GetRegister(X86Cpu.EBX));            // IMR as the firmware left it
        Assert.Equal(0xFFFFu, h.Cpu.GetRegister(X86Cpu.EDI));          // an unassigned port floats high
    }

    [Fact]
    public void MsrBitmapSelectsWhichMsrsExit()
    {
        var h = HwHarness.Boot(a =>
        {
            a.mov(ecx, 0x10);
            a.mov(edx, 1);
            a.xor(eax, eax);
            a.wrmsr();
            a.rdmsr();
            a.mov(ebx, edx);
            a.mov(ecx, 0x174);
            a.rdmsr();                // SYSENTER_CS: passed through
            a.mov(ecx, 0x4000_0000);
            a.rdmsr();                // outside both bitmap ranges: exits, and the VMM injects #GP
            Exit(a, 0);
        });
        AssertDebugExit(h.Run(), HwHarness.HandlerReport(13));
        Assert.Single(h.Exits, e => e.Reason == VmExitReason.Wrmsr);
        Assert.Equal(2, h.Exits.Count(e => e.Reason == VmExitReason.Rdmsr));
        Assert.Equal(1u, h.Cpu.GetRegister(X86Cpu.EBX)); // the TSC just written, a few nanoseconds later
    }

    [Fact]
    public void ExceptionBitmapTurnsAnExceptionIntoAnExitThatTheVmmReflects()
    {
        var h = HwHarness.Boot(a =>
        {
            a.mov(ax, 0x1234);
            a.mov(ds, ax);
        });
        h.Vmcs.ExceptionBitmap = 1u << 13;
        AssertDebugExit(h.Run(), HwHarness.HandlerReport(13));
        VmExitInformation exit = h.Single(VmExitReason.ExceptionOrNmi);
        Assert.Equal(13, exit.Interruption.Vector);
        Assert.Equal(InterruptionType.HardwareException, exit.Interruption.Type);
        Assert.True(exit.Interruption.DeliversErrorCode);
        Assert.Equal(0x1234u, exit.InterruptionErrorCode); // the selector, RPL bits cleared
        Assert.Equal(1, h.Cpu.Counters.Exceptions[13]); // delivered once, by the VMM's injection
    }

    [Fact]
    public void AnInterceptedPageFaultIsReflectedWithItsAddressInCr2()
    {
        var h = HwHarness.Boot(a =>
        {
            HwHarness.EmitEnablePaging(a);
            a.mov(eax, __dword_ptr[HwHarness.HolePage + 8]);
        });
        h.Vmcs.ExceptionBitmap = 1u << 14; // EPT mode: the VMM only watches page faults
        AssertDebugExit(h.Run(), HwHarness.HandlerReport(14));
        VmExitInformation exit = h.Single(VmExitReason.ExceptionOrNmi);
        Assert.Equal(HwHarness.HolePage + 8, exit.Qualification);
        Assert.Equal(0u, exit.InterruptionErrorCode); // not present, read, supervisor
        Assert.Equal(HwHarness.HolePage + 8, h.Cpu.Cr2);
    }

    [Fact]
    public void TimerInterruptExitsAndWaitsForTheInterruptWindow()
    {
        var h = HwHarness.Boot(a =>
        {
            Label spin = a.CreateLabel(), forever = a.CreateLabel();
            a.mov(al, 0x34);
            a.@out(0x43, al);
            a.mov(al, 0xE8);
            a.@out(0x40, al);
            a.mov(al, 0x03);
            a.@out(0x40, al);         // PIT channel 0, mode 2, count 1000 (about 838 us)
            a.@in(al, 0x21);
            a.and(al, 0xFE);
            a.@out(0x21, al);         // unmask IRQ 0
            a.cli();
            a.mov(ecx, 2_000_000);
            a.Label(ref spin);
            a.loop(spin);             // the timer fires while IF = 0
            a.sti();
            a.nop();                  // the STI shadow covers this instruction
            a.Label(ref forever);
            a.jmp(forever);
        });
        AssertDebugExit(h.Run(), HwHarness.HandlerReport(8)); // IRQ 0 at the firmware's vector base 0x08
        Assert.Contains(h.Exits, e => e.Reason == VmExitReason.ExternalInterrupt);
        VmExitInformation window = h.Single(VmExitReason.InterruptWindow);
        Assert.Equal(0xFEEB, h.Memory.Read16(window.GuestEip)); // after STI and the instruction it shadows: at "jmp $"
        Assert.Equal(1, h.Cpu.Counters.Irqs[0]);
    }

    [Fact]
    public void TripleFaultEndsTheGuestAsCrashed()
    {
        var h = HwHarness.Boot(a =>
        {
            a.lidt(__[0x2FE0]);
            a.int3();
        });
        h.Memory.Write16(0x2FE0, 0);
        h.Memory.Write32(0x2FE2, 0);
        MachineResult result = h.Run();
        Assert.Equal(MachineStopReason.Crashed, result.Reason);
        Assert.Equal(4, result.ExitCode);
        Assert.Equal(1, h.Backend.ExitCount(VmExitReason.TripleFault));
    }

    [Fact]
    public void EptViolationMapsTheGuestPageOnFirstTouch()
    {
        const uint address = HwHarness.DataPage + 0x10;
        var h = HwHarness.Boot(a =>
        {
            a.mov(__dword_ptr[address], 0xCAFE);
            a.mov(ebx, __dword_ptr[address]);
            Exit(a, 0);
        });
        AssertDebugExit(h.Run(), 0);
        VmExitInformation exit = Assert.Single(h.Exits, e => e.Reason == VmExitReason.EptViolation && e.GuestPhysicalAddress == address);
        Assert.Equal(ExitQualification.EptWrite | ExitQualification.EptLinearValid | ExitQualification.EptFinalTranslation, exit.Qualification);
        Assert.Equal(address, exit.GuestLinearAddress);
        Assert.Equal(0xCAFEu, h.Cpu.GetRegister(X86Cpu.EBX));
    }

    [Fact]
    public void ShadowPagingFixesHiddenFaultsAndReflectsTrueOnes()
    {
        var h = HwHarness.Boot(a =>
        {
            HwHarness.EmitEnablePaging(a);
            a.mov(eax, __dword_ptr[HwHarness.DataPage]);
            a.mov(ebx, __dword_ptr[HwHarness.HolePage + 4]);
        }, MemoryVirtualization.ShadowPaging);
        AssertDebugExit(h.Run(), HwHarness.HandlerReport(14));
        VmExitInformation[] faults = h.Exits.Where(e => e.Reason == VmExitReason.ExceptionOrNmi).ToArray();
        Assert.All(faults, e => Assert.Equal(14, e.Interruption.Vector));
        Assert.Contains(faults, e => e.Qualification == HwHarness.DataPage);     // hidden: the guest maps it
        Assert.Contains(faults, e => e.Qualification == HwHarness.HolePage + 4); // true: the guest does not
        Assert.Equal(HwHarness.HolePage + 4, h.Cpu.Cr2);
        Assert.Equal(1, h.Cpu.Counters.Exceptions[14]); // only the true fault reached the guest
    }
}
