using Translator.Machine;
using Translator.Machine.Cpu;
using Translator.Tests.Shared;
using Translator.Vmm.Backends;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests;

/// <summary>What must not exit, and what exists only in VMX operation.</summary>
public sealed class NonExitingInstructionTests
{
    [Fact]
    public void CliStiPushfPopfNeverExitAndActOnTheGuestsOwnFlags()
    {
        var h = HwHarness.Boot(a =>
        {
            a.cli();
            a.pushfd();
            a.pop(ebx);               // IF clear
            a.sti();
            a.pushfd();
            a.pop(ecx);               // IF set
            a.push(0x0000_0002);
            a.popfd();                // IF clear again, by POPF
            a.pushfd();
            a.pop(edx);
            a.mov(eax, 0);
            a.@out(0xF4, eax);
        });
        h.Vmcs.Primary |= ProcessorControls.HltExiting | ProcessorControls.RdtscExiting | ProcessorControls.InvlpgExiting
            | ProcessorControls.Cr3LoadExiting | ProcessorControls.Cr3StoreExiting;
        h.Vmcs.ExceptionBitmap = 0xFFFF_FFFF;
        MachineResult result = h.Run();
        Assert.Equal(MachineStopReason.DebugExit, result.Reason);
        Assert.All(h.Exits, e => Assert.True(e.Reason is VmExitReason.IoInstruction or VmExitReason.EptViolation, $"unexpected exit {e.Reason}"));
        Assert.Single(h.Exits, e => e.Reason == VmExitReason.IoInstruction); // only the debug exit
        Assert.Equal(0u, h.Cpu.GetRegister(X86Cpu.EBX) & 0x200);
        Assert.Equal(0x200u, h.Cpu.GetRegister(X86Cpu.ECX) & 0x200);
        Assert.Equal(0u, h.Cpu.GetRegister(X86Cpu.EDX) & 0x200);
    }

    [Fact]
    public void VmcallOutsideVmxOperationIsAnInvalidOpcode()
    {
        byte[] image = MultibootImage.Build(a =>
        {
            a.lidt(__[HwHarness.IdtrAddress]);
            a.mov(esp, HwHarness.StackTop);
            a.vmcall();
        });
        var vm = VirtualMachine.Create(image, new VmOptions { Backend = BackendKind.Native, MemoryMiB = 16 });
        HwHarness.InstallIdt(((NativeBackend)vm.Backend).Machine.Memory);
        VmRunResult run = vm.Run();
        Assert.Equal(MachineStopReason.DebugExit, run.Result.Reason);
        Assert.Equal(HwHarness.HandlerReport(6), run.Result.DebugExitValue);
    }
}
