using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Memory;
using Translator.Tests.Shared;
using Translator.Vmm.Backends.Deprivileged;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests;

/// <summary>
/// Resource control under ring compression (<c>bt</c> and <c>trap</c>): the deprivileged guest cannot reach the
/// VMM's memory and tables, and a guest that faults forever or destroys its own IDT gets the outcome bare metal
/// gives it (budget exhausted, triple fault), never a host crash or a hang.
/// </summary>
public sealed class DeprivilegedHostileGuestTests
{
    private const uint GuestEnd = 16u << 20;
    private const uint Marker = 0x5EC2_E7ED;

    [Theory]
    [MemberData(nameof(DeprivilegedHarness.DeprivilegingBackends), MemberType = typeof(DeprivilegedHarness))]
    public void TheVmmsMemoryAndTablesPastGuestRamAreOutOfReach(BackendKind backend)
    {
        (VirtualMachine vm, PhysicalMemory memory) = Boot(backend, a =>
        {
            for (uint offset = 0; offset < 0x50_0000; offset += 0x1000)
            {
                a.mov(__dword_ptr[GuestEnd + offset], Marker); // paging off: guest-physical addresses past its RAM
            }

            a.mov(ecx, __dword_ptr[GuestEnd]);
            HwHarness.EmitEnablePaging(a);
            for (uint offset = 0; offset < 0x5000; offset += 0x1000)
            {
                a.mov(__dword_ptr[HwHarness.DataPage + offset], Marker); // paging on: its own PTEs point past its RAM
            }

            a.mov(ebx, __dword_ptr[HwHarness.DataPage + 0x1000]);
            a.sgdt(__[0x6000]);
            MultibootImage.EmitExit(a, 0);
        });
        for (uint page = 0; page < 5; page++)
        {
            memory.Write32(HwHarness.PageTable + ((HwHarness.DataPage >> 12) + page) * 4, (GuestEnd + (page << 12)) | 7);
        }

        var vmm = (DeprivilegedMonitor)vm.Backend;
        Assert.Equal(GuestEnd, vmm.VmmMemoryBase);
        VmRunResult run = vm.Run();
        Assert.True(run.Result.Reason == MachineStopReason.DebugExit, $"{run.Result.Reason}: {run.Result.Message}");
        // Unassigned memory (zeros, as on QEMU's PC), not the VMM's tables that the host holds there.
        Assert.NotEqual(0u, memory.Read32(GuestEnd));
        Assert.Equal(0u, vmm.Cpu.GetRegister(Translator.Machine.Cpu.X86Cpu.ECX));
        Assert.Equal(0u, vmm.Cpu.GetRegister(Translator.Machine.Cpu.X86Cpu.EBX));
        byte[] vmmMemory = memory.Span(GuestEnd, 5 << 20).ToArray();
        for (int i = 0; i + 4 <= vmmMemory.Length; i += 4)
        {
            Assert.NotEqual(Marker, BitConverter.ToUInt32(vmmMemory, i));
        }

        // The real GDT (VMM memory) holds the compressed boot descriptors. Under bt SGDT shows the guest its own
        // table; under trap it shows the VMM's (the hole), which the guest still cannot read or write.
        Assert.True(vmm.Cpu.GdtBase >= GuestEnd, "the real GDT lives past guest RAM");
        Assert.Equal(0x00CF_BB00u, memory.Read32(vmm.Cpu.GdtBase + 0x0C) & 0x00FF_FF00); // boot code, DPL 0 -> 1
        uint shown = memory.Read32(0x6002);
        Assert.Equal(backend == BackendKind.BinaryTranslation, shown < GuestEnd);
    }

    [Theory]
    [MemberData(nameof(DeprivilegedHarness.DeprivilegingBackends), MemberType = typeof(DeprivilegedHarness))]
    public void APageFaultHandlerThatNeverFixesAnythingSpendsTheBudgetAsOnBareMetal(BackendKind backend)
    {
        Action<Assembler> guest = a =>
        {
            HwHarness.EmitEnablePaging(a);
            a.mov(eax, __dword_ptr[HwHarness.HolePage]); // a true fault, forever: the handler below returns to it
        };
        const ulong budget = 200_000;
        (VirtualMachine native, PhysicalMemory nativeMemory) = Boot(BackendKind.Native, guest, budget);
        InstallRetryingPageFaultHandler(nativeMemory);
        (VirtualMachine vm, PhysicalMemory memory) = Boot(backend, guest, budget);
        InstallRetryingPageFaultHandler(memory);
        VmRunResult bare = native.Run(), run = vm.Run();
        Assert.Equal(6, bare.ExitCode);
        Assert.Equal(bare.ExitCode, run.ExitCode);
        Assert.Equal(bare.Statistics.Events["fault.PF"], run.Statistics.Events["fault.PF"]);
    }

    [Theory]
    [MemberData(nameof(DeprivilegedHarness.DeprivilegingBackends), MemberType = typeof(DeprivilegedHarness))]
    public void AGuestWithoutAnIdtTripleFaultsAsOnBareMetal(BackendKind backend)
    {
        Action<Assembler> guest = a =>
        {
            a.push(0);
            a.push(0);
            a.lidt(__[esp + 2]); // an empty IDT
            a.int3();
        };
        VmRunResult bare = Boot(BackendKind.Native, guest).Vm.Run();
        VmRunResult run = Boot(backend, guest).Vm.Run();
        Assert.Equal(4, bare.ExitCode);
        Assert.Equal(4, run.ExitCode);
        Assert.Contains("triple fault", run.Result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(DeprivilegedHarness.DeprivilegingBackends), MemberType = typeof(DeprivilegedHarness))]
    public void ADescriptorTablePastGuestRamShowsOnlyAnUndrivenBus(BackendKind backend)
    {
        Action<Assembler> guest = a =>
        {
            a.push(GuestEnd);
            a.push(0xFFFF_0000);
            a.lgdt(__[esp + 2]); // the guest's GDT "at" the VMM's memory: guest-physical past RAM, all ones
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            MultibootImage.EmitExit(a, 0);
        };
        VmRunResult bare = Boot(BackendKind.Native, guest).Vm.Run();
        VmRunResult run = Boot(backend, guest).Vm.Run();
        Assert.Equal(bare.ExitCode, run.ExitCode);
        Assert.Equal(bare.Result.DebugExitValue, run.Result.DebugExitValue);
        Assert.Equal(bare.Console, run.Console);
    }

    private static (VirtualMachine Vm, PhysicalMemory Memory) Boot(BackendKind backend, Action<Assembler> code, ulong maxInstructions = 10_000_000)
    {
        byte[] image = MultibootImage.Build(a =>
        {
            a.lidt(__[HwHarness.IdtrAddress]);
            a.mov(esp, HwHarness.StackTop);
            code(a);
        });
        var vm = VirtualMachine.Create(image, new VmOptions { Backend = backend, MemoryMiB = 16, MaxInstructions = maxInstructions, Translation = TranslationSource.InterpreterOnly });
        PhysicalMemory memory = DeprivilegedHarness.MemoryOf(vm);
        HwHarness.InstallIdt(memory);
        HwHarness.InstallIdentityPaging(memory);
        return (vm, memory);
    }

    /// <summary>#PF handler: drop the error code and return to the faulting instruction, which faults again.</summary>
    private static void InstallRetryingPageFaultHandler(PhysicalMemory memory)
    {
        uint handler = HwHarness.HandlerBase + (14 * 16);
        memory.Write8(handler, 0x83);     // add esp, 4
        memory.Write8(handler + 1, 0xC4);
        memory.Write8(handler + 2, 0x04);
        memory.Write8(handler + 3, 0xCF); // iretd
    }
}
