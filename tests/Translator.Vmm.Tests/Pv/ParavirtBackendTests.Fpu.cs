using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Tests.Shared.PvTestImage;

namespace Translator.Vmm.Tests.Pv;

/// <summary>
/// The FPU under pv (docs/paravirt-abi.md 3.5 and hypercall 5): the guest kernel has x87 and SSE from its first
/// instruction (the VMM sets CR0.MP/NE and CR4.OSFXSR/OSXMMEXCPT, which it cannot write itself), switches CR0.TS with
/// fpu_taskswitch, and gets the #NM a set TS causes bounced with TS already cleared, as on Xen.
/// </summary>
public sealed partial class ParavirtBackendTests
{
    /// <summary>fld1; fadd st0,st0; fistp and cvtsi2sd/addsd/cvttsd2si: 2 + 2 from both units, checked by the guest.</summary>
    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void TheGuestKernelComputesWithX87AndSse(ExecutionTier execution)
    {
        (VmRunResult run, _) = RunGuest((a, d) =>
        {
            Label bad = a.CreateLabel();
            a.fld1();
            a.fadd(st0, st0);
            a.fistp(__dword_ptr[d.At(0x20)]);
            a.cmp(__dword_ptr[d.At(0x20)], 2);
            a.jne(bad);
            a.mov(eax, 2);
            a.cvtsi2sd(xmm0, eax);
            a.addsd(xmm0, xmm0);
            a.cvttsd2si(eax, xmm0);
            a.cmp(eax, 4);
            a.jne(bad);
            ExitPassedOrBad(a, d, ref bad);
        }, execution);

        Assert.Equal(1, run.ExitCode);
    }

    /// <summary>
    /// fpu_taskswitch(1) then FWAIT: #NM (CR0.MP is set), bounced once with TS cleared, so the FWAIT then runs.
    /// fpu_taskswitch(1), fpu_taskswitch(0): FLD1 runs. fpu_taskswitch(1) then MOVAPS: #NM again. Two bounces in all.
    /// </summary>
    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void FpuTaskswitchMakesTheNextFpuInstructionBounceAnNmOnce(ExecutionTier execution)
    {
        (VmRunResult run, _) = RunGuest((a, d) =>
        {
            Label handler = a.CreateLabel(), bad = a.CreateLabel();
            WriteTrapEntry(a, d, 0, 7, 0, handler);
            Hypercall(a, 0, b: d.At(0x40));
            Hypercall(a, 5, b: 1);
            a.wait();
            Hypercall(a, 5, b: 1);
            Hypercall(a, 5, b: 0);
            a.fld1();
            Hypercall(a, 5, b: 1);
            a.movaps(xmm0, xmm1);
            a.cmp(__dword_ptr[d.At(0x20)], 2);
            a.jne(bad);
            ExitPassedOrBad(a, d, ref bad);

            a.Label(ref handler); // #NM at CPL 1, same ring: EIP, CS, EFLAGS; TS is clear, so returning retries the instruction
            a.inc(__dword_ptr[d.At(0x20)]);
            a.iretd();
        }, execution);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(2, run.Statistics.Events["pv.bounces"]);
        Assert.Equal(4, run.Statistics.Events["hypercall.fpu_taskswitch"]);
    }

    /// <summary>With <see cref="CpuFeatures.None"/> the pv guest has the integer core only: FLD1 is #UD, bounced to its handler.</summary>
    [Fact]
    public void WithoutTheFpuAnX87InstructionIsUd()
    {
        byte[] image = Build((a, d) =>
        {
            Label handler = a.CreateLabel();
            WriteTrapEntry(a, d, 0, 6, 0, handler);
            Hypercall(a, 0, b: d.At(0x40));
            a.fld1();
            a.mov(eax, unchecked((uint)-5));
            ExitWithResult(a, d);
            a.Label(ref handler);
            a.xor(eax, eax);
            ExitWithResult(a, d);
        });
        VmRunResult run = VirtualMachine.Create(image, new VmOptions { Backend = BackendKind.Paravirtual, CpuFeatures = CpuFeatures.None }).Run();
        Assert.Equal(1, run.ExitCode);
    }
}
