using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Memory;
using Translator.Tests.Shared;
using Translator.Vmm.Backends;
using Translator.Vmm.Backends.Hw;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests;

/// <summary>
/// The guest's page tables end in the same state under shadow paging as on bare metal: the VMM sets accessed and
/// dirty bits exactly where the hardware walk would, honours CR0.WP = 0 for supervisor writes to read-only pages,
/// and a true fault reaches the guest with the same error code and CR2.
/// </summary>
public sealed class ShadowPagingEquivalenceTests
{
    private const uint ReadPage = HwHarness.DataPage, WrittenPage = HwHarness.DataPage + 0x1000,
        ReadOnlyPage = HwHarness.DataPage + 0x2000, UntouchedPage = HwHarness.DataPage + 0x3000;

    private static byte[] Image() => MultibootImage.Build(a =>
    {
        a.lidt(__[HwHarness.IdtrAddress]);
        a.mov(esp, HwHarness.StackTop);
        HwHarness.EmitEnablePaging(a);
        a.mov(eax, __dword_ptr[ReadPage]);
        a.mov(__dword_ptr[WrittenPage], 1);
        a.mov(eax, cr0);
        a.and(eax, ~0x1_0000);                        // CR0.WP = 0: the supervisor may write read-only pages
        a.mov(cr0, eax);
        a.mov(__dword_ptr[ReadOnlyPage + 8], 2);
        a.or(eax, 0x1_0000);
        a.mov(cr0, eax);
        a.mov(__dword_ptr[ReadOnlyPage + 12], 3);     // WP = 1 again: #PF(present | write) at ReadOnlyPage + 12
    });

    private static void PrepareTables(PhysicalMemory memory)
    {
        HwHarness.InstallIdt(memory);
        memory.Write32(HwHarness.PageDirectory, HwHarness.PageTable | 7);
        for (uint page = 0; page < 1024; page++)
        {
            memory.Write32(HwHarness.PageTable + (page * 4), (page << 12) | (page << 12 == ReadOnlyPage ? 5u : 7u));
        }
    }

    private static (uint Exit, uint Cr2, uint[] Entries) Outcome(MachineResult result, uint cr2, PhysicalMemory memory) =>
        (result.DebugExitValue, cr2,
         [memory.Read32(HwHarness.PageDirectory), .. new[] { ReadPage, WrittenPage, ReadOnlyPage, UntouchedPage }
             .Select(p => memory.Read32(HwHarness.PageTable + (p >> 12) * 4))]);

    [Theory]
    [InlineData(MemoryVirtualization.ShadowPaging)]
    [InlineData(MemoryVirtualization.NestedPaging)]
    public void PageTablesAndFaultsMatchBareMetal(MemoryVirtualization paging)
    {
        var native = VirtualMachine.Create(Image(), new VmOptions { Backend = BackendKind.Native, MemoryMiB = 16 });
        PcMachine machine = ((NativeBackend)native.Backend).Machine;
        PrepareTables(machine.Memory);
        VmRunResult bare = native.Run();

        var hw = VirtualMachine.Create(Image(), new VmOptions { Backend = BackendKind.HardwareAssisted, Paging = paging, MemoryMiB = 16 });
        var backend = (HardwareAssistedBackend)hw.Backend;
        PrepareTables(backend.Cpu.Mmu.Physical);
        VmRunResult virtualized = hw.Run();

        Assert.Equal(HwHarness.HandlerReport(14), bare.Result.DebugExitValue);
        var expected = Outcome(bare.Result, machine.Cpu.Cr2, machine.Memory);
        var actual = Outcome(virtualized.Result, backend.Cpu.Cr2, backend.Cpu.Mmu.Physical);
        Assert.Equal(expected.Exit, actual.Exit);
        Assert.Equal(ReadOnlyPage + 12, actual.Cr2);
        Assert.Equal(expected.Cr2, actual.Cr2);
        Assert.Equal(expected.Entries, actual.Entries);
        Assert.Equal(0x20u, actual.Entries[1] & 0x60);  // read: accessed, not dirty
        Assert.Equal(0x60u, actual.Entries[2] & 0x60);  // written: accessed and dirty
        Assert.Equal(0x60u, actual.Entries[3] & 0x60);  // written with WP = 0
        Assert.Equal(0u, actual.Entries[4] & 0x60);     // never touched
        Assert.Equal(bare.Statistics.Events["fault.PF"], virtualized.Statistics.Events["fault.PF"]);
    }
}
