using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Memory;
using Translator.Tests.Shared;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests;

/// <summary>
/// Traced shadow paging under the deprivileging VMMs: shadows survive CR3 switches (one context per address space),
/// and a guest write to any page table a shadow was derived from, current address space or not, drops exactly that
/// shadow state, so switching back shows the guest's new mapping as bare metal's CR3 load does.
/// </summary>
public sealed class TracedShadowPagingTests
{
    private const uint SecondDirectory = 0x12000, SecondTable = 0x13000, Results = 0x6000;
    private const uint Probe = HwHarness.DataPage, First = 0xAAAA_0001, Second = 0xBBBB_0002, Third = 0xCCCC_0003;

    [Theory]
    [MemberData(nameof(DeprivilegedHarness.DeprivilegingBackends), MemberType = typeof(DeprivilegedHarness))]
    public void ShadowsSurviveCr3SwitchesAndTracesCatchWritesToAnInactiveAddressSpace(BackendKind backend)
    {
        (VmRunResult bare, byte[] bareResults) = Run(BackendKind.Native);
        (VmRunResult run, byte[] results) = Run(backend);

        Assert.Equal(bare.ExitCode, run.ExitCode);
        Assert.Equal(Convert.ToHexString(bareResults), Convert.ToHexString(results));
        Assert.Equal(Third, BitConverter.ToUInt32(results, 4 * 6)); // the remapped page, seen after switching back
        Assert.True(run.Statistics.Events["shadow.contextReuses"] >= 6, "address spaces were not kept across CR3 loads");
        Assert.True(run.Statistics.Events["shadow.traceHits"] >= 1, "the page-table write was not traced");
    }

    /// <summary>
    /// An identity-mapped kernel edits its page table through the table's own mapping (it cannot stay write-protected:
    /// the write would re-trace the page it writes), in one address space, while a second address space shares that
    /// table. Switching to the second one (a CR3 load) must show the new mapping there; INVLPG shows it in the first.
    /// </summary>
    [Theory]
    [MemberData(nameof(DeprivilegedHarness.DeprivilegingBackends), MemberType = typeof(DeprivilegedHarness))]
    public void APageTableEditedThroughItselfIsResyncedAtTheNextCr3LoadOrInvlpg(BackendKind backend)
    {
        (VmRunResult bare, byte[] bareResults) = Run(BackendKind.Native, EditThroughItself, shareFirstTable: true);
        (VmRunResult run, byte[] results) = Run(backend, EditThroughItself, shareFirstTable: true);

        Assert.Equal(bare.ExitCode, run.ExitCode);
        Assert.Equal(Convert.ToHexString(bareResults), Convert.ToHexString(results));
        Assert.Equal([First, First, Third, Third], Enumerable.Range(0, 4).Select(i => BitConverter.ToUInt32(results, 4 * i)));
    }

    private static void EditThroughItself(Assembler a)
    {
        const uint entry = HwHarness.PageTable + ((Probe >> 12) & 0x3FF) * 4;
        a.mov(__dword_ptr[entry], Probe | 7);        // through the table's own identity mapping: stays writable
        a.mov(eax, __dword_ptr[Probe]);
        a.mov(__dword_ptr[Results], eax);
        SwitchTo(a, SecondDirectory);                // the second address space derives its shadow from the same table
        a.mov(eax, __dword_ptr[Probe]);
        a.mov(__dword_ptr[Results + 4], eax);
        SwitchTo(a, HwHarness.PageDirectory);
        a.mov(__dword_ptr[entry], (Probe + 0x2000) | 7); // remap, without a fault if the mapping stayed writable
        SwitchTo(a, SecondDirectory);
        a.mov(eax, __dword_ptr[Probe]);
        a.mov(__dword_ptr[Results + 8], eax);
        SwitchTo(a, HwHarness.PageDirectory);
        a.invlpg(__[Probe]);
        a.mov(eax, __dword_ptr[Probe]);
        a.mov(__dword_ptr[Results + 12], eax);
    }

    private static void SwitchTo(Assembler a, uint directory)
    {
        a.mov(eax, directory);
        a.mov(cr3, eax);
    }

    private static (VmRunResult Run, byte[] Results) Run(BackendKind backend) => Run(backend, SwitchBackAndForth, shareFirstTable: false);

    private static (VmRunResult Run, byte[] Results) Run(BackendKind backend, Action<Assembler> code, bool shareFirstTable)
    {
        byte[] image = MultibootImage.Build(a =>
        {
            a.lidt(__[HwHarness.IdtrAddress]);
            a.mov(esp, HwHarness.StackTop);
            HwHarness.EmitEnablePaging(a);
            code(a);
            MultibootImage.EmitExit(a, 0);
        });
        var vm = VirtualMachine.Create(image, new VmOptions { Backend = backend, MemoryMiB = 16, Translation = TranslationSource.InterpreterOnly });
        PhysicalMemory memory = DeprivilegedHarness.MemoryOf(vm);
        HwHarness.InstallIdt(memory);
        HwHarness.InstallIdentityPaging(memory);
        memory.Write32(SecondDirectory, (shareFirstTable ? HwHarness.PageTable : SecondTable) | 7);
        for (uint page = 0; page < 1024; page++)
        {
            memory.Write32(SecondTable + (page * 4), memory.Read32(HwHarness.PageTable + (page * 4)));
        }

        memory.Write32(SecondTable + ((Probe >> 12) & 0x3FF) * 4, (Probe + 0x1000) | 7);
        memory.Write32(Probe, First);
        memory.Write32(Probe + 0x1000, Second);
        memory.Write32(Probe + 0x2000, Third);
        VmRunResult run = vm.Run();
        return (run, memory.Span(Results, 4 * 8).ToArray());
    }

    private static void SwitchBackAndForth(Assembler a)
    {
        int slot = 0;
        for (int round = 0; round < 3; round++)
        {
            a.mov(eax, __dword_ptr[Probe]);
            a.mov(__dword_ptr[Results + (uint)(4 * slot++)], eax);
            a.mov(eax, SecondDirectory);
            a.mov(cr3, eax);
            a.mov(eax, __dword_ptr[Probe]);
            a.mov(__dword_ptr[Results + (uint)(4 * slot++)], eax);
            a.mov(eax, HwHarness.PageDirectory);
            a.mov(cr3, eax);
        }

        // Remap the probe page in the second address space while the first one runs (no INVLPG: the CR3 load
        // that switches to it is what makes the change visible on bare metal).
        a.mov(__dword_ptr[SecondTable + ((Probe >> 12) & 0x3FF) * 4], (Probe + 0x2000) | 7);
        SwitchTo(a, SecondDirectory);
        a.mov(eax, __dword_ptr[Probe]);
        a.mov(__dword_ptr[Results + (uint)(4 * slot)], eax);
    }
}
