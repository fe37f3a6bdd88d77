using Iced.Intel;
using Translator.Machine;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Tests.Shared.PvTestImage;

namespace Translator.Vmm.Tests.Pv;

/// <summary>
/// System calls from ring 3 (docs/paravirt-abi.md 8.4) and the return without a hypercall (8.6): an int 0x80 entry
/// with DPL 3 that leaves events enabled becomes a real trap gate the processor takes without the VMM; one that masks
/// events is bounced; one whose DPL is below 3 is a #GP(0x402), also after a direct gate was installed.
/// </summary>
public sealed partial class ParavirtBackendTests
{
    private const uint Ring1Code = 0xE019, Ring1Data = 0xE021, Ring3Code = 0xE02B, Ring3Data = 0xE033;
    private const byte TrapDpl3 = 3, MaskEvents = 4;

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void ATrapGateSystemCallNeverEntersTheVmm(ExecutionTier execution)
    {
        (VmRunResult run, _) = RunGuest((a, d) => SystemCallGuest(a, d, TrapDpl3, expectMasked: false), execution);

        Assert.Equal(1, run.ExitCode); // two system calls, the first returned by a real IRET, the frame as specified
        Assert.Equal(2, run.Statistics.Events["pv.directSystemCalls"]);
        Assert.Equal(0, run.Statistics.Events["pv.bounces"]);
        Assert.False(run.Statistics.Events.ContainsKey("hypercall.iret") && run.Statistics.Events["hypercall.iret"] > 1,
            "only the entry to ring 3 may use HYPERVISOR_iret");
    }

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void AnEntryThatMasksEventsIsBounced(ExecutionTier execution)
    {
        (VmRunResult run, _) = RunGuest((a, d) => SystemCallGuest(a, d, TrapDpl3 | MaskEvents, expectMasked: true), execution);

        Assert.Equal(1, run.ExitCode); // the handler ran with evtchn_upcall_mask = 1
        Assert.Equal(0, run.Statistics.Events["pv.directSystemCalls"]);
        Assert.Equal(2, run.Statistics.Events["pv.bounces"]);
    }

    /// <summary>A direct gate, then a new trap table whose 0x80 entry has DPL 1: the gate goes, and ring 3 gets #GP(0x402).</summary>
    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void ReRegisteringWithDplOneTakesTheGateAway(ExecutionTier execution)
    {
        (VmRunResult run, _) = RunGuest((a, d) =>
        {
            Label gp = a.CreateLabel(), user = a.CreateLabel(), bad = a.CreateLabel();
            EnterKernel(a, d);
            WriteTrapEntry(a, d, 0, 0x80, TrapDpl3, gp); // first a direct gate (its handler is never reached)
            Hypercall(a, 0, b: d.At(0x40));
            WriteTrapEntry(a, d, 0, 0x80, 1, gp);
            WriteTrapEntry(a, d, 1, 13, 0, gp);
            Hypercall(a, 0, b: d.At(0x40));
            EnterUserMode(a, d, user);

            a.Label(ref user);
            a.@int(0x80);
            a.jmp(user);

            a.Label(ref gp); // #GP: error code, EIP, CS, EFLAGS, ESP, SS
            a.cmp(__dword_ptr[esp], 0x402u);
            a.jne(bad);
            a.cmp(__dword_ptr[esp + 8], Ring3Code);
            a.jne(bad);
            ExitPassedOrBad(a, d, ref bad);
        }, execution);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(0, run.Statistics.Events["pv.directSystemCalls"]);
        Assert.Equal(1, run.Statistics.Events["pv.bounces"]);
    }

    /// <summary>
    /// Ring 3 makes two system calls (EAX 7, then 9). The handler checks the frame (ring-3 CS, on the kernel stack
    /// stack_switch gave, events as <paramref name="expectMasked"/> says); the first returns with a real IRET after
    /// restoring the mask (8.6), the second exits with 0 (exit code 1), any failed check with 5 (exit code 11).
    /// </summary>
    private static void SystemCallGuest(Assembler a, DataArea d, byte flags, bool expectMasked)
    {
        Label handler = a.CreateLabel(), user = a.CreateLabel(), bad = a.CreateLabel(), finish = a.CreateLabel();
        EnterKernel(a, d);
        WriteTrapEntry(a, d, 0, 0x80, flags, handler);
        Hypercall(a, 0, b: d.At(0x40));
        EnterUserMode(a, d, user);

        a.Label(ref user);
        a.mov(eax, 7u);
        a.@int(0x80);
        a.cmp(eax, 8u); // the handler's result
        a.jne(bad);
        a.mov(eax, 9u);
        a.@int(0x80);
        a.jmp(bad);

        a.Label(ref handler); // EIP, CS, EFLAGS, ESP, SS on the kernel stack
        a.cmp(__dword_ptr[esp + 4], Ring3Code);
        a.jne(bad);
        a.cmp(esp, d.At(0x400) - 20);
        a.jne(bad);
        a.mov(ebx, __dword_ptr[d.At(0x10)]); // shared info
        a.cmp(__byte_ptr[ebx + 1], expectMasked ? 1 : 0);
        a.jne(bad);
        a.cmp(eax, 9u);
        a.je(finish);
        a.inc(eax);
        a.mov(__byte_ptr[ebx + 1], 0); // the frame's IF is 1: unmask, nothing is pending, IRET (8.6)
        a.iretd();

        a.Label(ref finish);
        ExitPassedOrBad(a, d, ref bad);
    }

    /// <summary>Exits with 0 (exit code 1) here, and with 5 (exit code 11) from <paramref name="bad"/>, placed after it.</summary>
    private static void ExitPassedOrBad(Assembler a, DataArea d, ref Label bad)
    {
        a.xor(eax, eax);
        ExitWithResult(a, d);
        a.Label(ref bad);
        a.mov(eax, unchecked((uint)-5));
        ExitWithResult(a, d);
    }

    /// <summary>Keeps the shared-info address at data+0x10, loads ring-3 data selectors, gives ring 3's entries the kernel stack at data+0x400.</summary>
    private static void EnterKernel(Assembler a, DataArea d)
    {
        a.mov(eax, __dword_ptr[esi + 36]); // start_info.shared_info
        a.mov(__dword_ptr[d.At(0x10)], eax);
        a.mov(eax, Ring3Data);
        a.mov(ds, ax);
        a.mov(es, ax);
        Hypercall(a, 3, b: Ring1Data, c: d.At(0x400)); // stack_switch
    }

    /// <summary>trap_info entry <paramref name="index"/> of the table at data+0x40: vector, flags, ring-1 CS, the handler's address.</summary>
    private static void WriteTrapEntry(Assembler a, DataArea d, int index, byte vector, byte flags, Label handler)
    {
        a.mov(__dword_ptr[d.At(0x40 + index * 8)], vector | ((uint)flags << 8) | (Ring1Code << 16));
        AddressInEax(a, handler);
        a.mov(__dword_ptr[d.At(0x44 + index * 8)], eax);
    }

    /// <summary>EAX = an address that reaches <paramref name="target"/>: a <c>jmp target</c> whose address a call pushed (32-bit code has no RIP-relative LEA).</summary>
    private static void AddressInEax(Assembler a, Label target)
    {
        Label after = a.CreateLabel();
        a.call(after);
        a.jmp(target);
        a.Label(ref after);
        a.pop(eax);
    }

    /// <summary>An IRET frame to <paramref name="user"/> in ring 3 with IF = 1, taken through HYPERVISOR_iret (which unmasks events).</summary>
    private static void EnterUserMode(Assembler a, DataArea d, Label user)
    {
        a.push(Ring3Data);
        a.push(d.At(0x500));
        a.push(0x202);
        a.push(Ring3Code);
        AddressInEax(a, user);
        a.push(eax);
        a.jmp(HypercallPage + 23 * 32);
    }
}
