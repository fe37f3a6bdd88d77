using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests;

/// <summary>
/// Resource control: whatever the guest does, the VMM stays in control and its own memory and devices are out of
/// reach. A guest gets what a bare PC gives it, nothing of the host. Each runs on the interpreter and as translated
/// code (<c>--execution translated</c>).
/// </summary>
public sealed class HostileGuestTests
{
    public static TheoryData<MemoryVirtualization, bool> Modes => new()
    {
        { MemoryVirtualization.NestedPaging, false }, { MemoryVirtualization.ShadowPaging, false },
        { MemoryVirtualization.NestedPaging, true }, { MemoryVirtualization.ShadowPaging, true },
    };

    public static TheoryData<bool> Executions => new() { false, true };

    [Theory]
    [MemberData(nameof(Modes))]
    public void SpinningWithInterruptsOffIsStoppedByTheBudget(MemoryVirtualization paging, bool translated)
    {
        var h = HwHarness.Boot(a =>
        {
            Label self = a.CreateLabel();
            a.cli();
            a.Label(ref self);
            a.jmp(self);
        }, paging, maxInstructions: 3_000_000, translated: translated);
        MachineResult result = h.Run();
        h.AssertRanTranslated(translated);
        Assert.Equal(MachineStopReason.BudgetExhausted, result.Reason);
        Assert.Equal(6, result.ExitCode);
    }

    [Theory]
    [MemberData(nameof(Executions))]
    public void UnderShadowPagingTheVmmsTablesPastGuestRamAreOutOfReach(bool translated)
    {
        const uint guestEnd = 16u << 20; // the harness's guest has 16 MiB; host memory past it holds the shadow tables
        const uint marker = 0x5EC2_E7ED;
        var h = HwHarness.Boot(a =>
        {
            for (uint offset = 0; offset < 0x5000; offset += 0x1000)
            {
                a.mov(__dword_ptr[guestEnd + offset], marker);             // paging off: guest-physical addresses
            }

            a.mov(ecx, __dword_ptr[guestEnd]);
            HwHarness.EmitEnablePaging(a);
            for (uint offset = 0; offset < 0x5000; offset += 0x1000)
            {
                a.mov(__dword_ptr[HwHarness.DataPage + offset], marker);   // paging on: through the guest's own PTEs
            }

            a.mov(ebx, __dword_ptr[HwHarness.DataPage + 0x1000]);
            a.mov(eax, 0);
            a.@out(0xF4, eax);
        }, MemoryVirtualization.ShadowPaging, translated: translated);

        // The guest's page table maps its data pages onto guest-physical frames past its RAM, as an attacker would.
        for (uint page = 0; page < 5; page++)
        {
            h.Memory.Write32(HwHarness.PageTable + ((HwHarness.DataPage >> 12) + page) * 4, (guestEnd + (page << 12)) | 7);
        }

        MachineResult result = h.Run();
        h.AssertRanTranslated(translated);
        Assert.True(result.Reason == MachineStopReason.DebugExit, $"{result.Reason}: {result.Message}");
        Assert.Equal(0u, h.Cpu.GetRegister(X86Cpu.ECX)); // unassigned memory reads as zeros (QEMU's PC), paging off
        Assert.Equal(0u, h.Cpu.GetRegister(X86Cpu.EBX)); // and through the guest's mapping
        Assert.DoesNotContain(marker, Dwords(h.Memory.Span(guestEnd, 5 << 20).ToArray()));
        Assert.NotEqual(0u, h.Memory.Read32(guestEnd)); // the shadow directory is there, written by the VMM only
    }

    [Theory]
    [MemberData(nameof(Executions))]
    public void PhysicalAddressesPastGuestRamReadZerosUnderNestedPaging(bool translated)
    {
        const uint pastRam = (16u << 20) + 0x100;
        var h = HwHarness.Boot(a =>
        {
            a.mov(__dword_ptr[pastRam], 0x1234_5678);
            a.mov(ebx, __dword_ptr[pastRam]);
            a.mov(__dword_ptr[0xFFFF_F000], 0x1234_5678); // the top of the 4 GiB space, far past any host memory
            a.mov(esi, __dword_ptr[0xFFFF_F000]);
            a.mov(eax, 0);
            a.@out(0xF4, eax);
        }, translated: translated);
        h.Memory.Write32(pastRam, 0xA5A5_A5A5); // host memory behind the guest's RAM: the guest must neither see nor change it
        MachineResult result = h.Run();
        h.AssertRanTranslated(translated);
        Assert.True(result.Reason == MachineStopReason.DebugExit, $"{result.Reason}: {result.Message}");
        Assert.Equal(0u, h.Cpu.GetRegister(X86Cpu.EBX)); // unassigned memory reads zeros, as on QEMU's PC
        Assert.Equal(0u, h.Cpu.GetRegister(X86Cpu.ESI));
        Assert.Equal(0xA5A5_A5A5u, h.Memory.Read32(pastRam));
        Assert.Contains(h.Exits, e => e.Reason == VmExitReason.EptViolation && e.GuestPhysicalAddress == pastRam);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void UnassignedPortsFloatHighAndIgnoreWrites(MemoryVirtualization paging, bool translated)
    {
        var h = HwHarness.Boot(a =>
        {
            a.mov(al, 0x55);
            a.@out(0x99, al);
            a.@in(al, 0x99);
            a.movzx(ebx, al);
            a.mov(dx, 0xFFFF);
            a.@in(eax, dx);          // wraps past the last port: always exits
            a.mov(esi, eax);
            a.@in(al, 0x80);         // passed through to the host bus, where nothing answers either
            a.movzx(edi, al);
            a.mov(eax, 0);
            a.@out(0xF4, eax);
        }, paging, translated: translated);
        MachineResult result = h.Run();
        h.AssertRanTranslated(translated);
        Assert.True(result.Reason == MachineStopReason.DebugExit, $"{result.Reason}: {result.Message}");
        Assert.Equal(0xFFu, h.Cpu.GetRegister(X86Cpu.EBX));
        Assert.Equal(0xFFFF_FFFFu, h.Cpu.GetRegister(X86Cpu.ESI));
        Assert.Equal(0xFFu, h.Cpu.GetRegister(X86Cpu.EDI));
        Assert.Contains(h.Exits, e => e.Reason == VmExitReason.IoInstruction && e.Qualification >> 16 == 0xFFFF);
        Assert.DoesNotContain(h.Exits, e => e.Reason == VmExitReason.IoInstruction && e.Qualification >> 16 == 0x80);
    }

    [Theory]
    [MemberData(nameof(Executions))]
    public void AGuestThatFaultsForeverStillSpendsItsBudget(bool translated)
    {
        // Every handler resets its stack and touches the not-present page again: a true #PF, reflected, forever.
        const uint handler = 0x5000;
        var h = HwHarness.Boot(a =>
        {
            HwHarness.EmitEnablePaging(a);
            a.lidt(__[0x2FD0]);
            a.jmp(handler);
        }, MemoryVirtualization.ShadowPaging, maxInstructions: 200_000, translated: translated);
        byte[] code = [0xBC, 0x00, 0x80, 0x00, 0x00, 0xA1, 0x00, 0x00, 0x30, 0x00]; // mov esp, 0x8000; mov eax, [HolePage]
        code.CopyTo(h.Memory.Span(handler, code.Length));
        for (uint v = 0; v < 32; v++)
        {
            h.Memory.Write32(0x3800 + (v * 8), (0x08u << 16) | (handler & 0xFFFF));
            h.Memory.Write32(0x3800 + (v * 8) + 4, (handler & 0xFFFF_0000) | 0x8E00);
        }

        h.Memory.Write16(0x2FD0, 32 * 8 - 1);
        h.Memory.Write32(0x2FD2, 0x3800);
        MachineResult result = h.Run();
        h.AssertRanTranslated(translated);
        Assert.True(result.Reason == MachineStopReason.BudgetExhausted, $"{result.Reason}: {result.Message}");
        Assert.True(h.Cpu.Counters.Exceptions[14] > 50_000, $"{h.Cpu.Counters.Exceptions[14]} page faults");
    }

    private static IEnumerable<uint> Dwords(byte[] bytes)
    {
        for (int i = 0; i + 4 <= bytes.Length; i += 4)
        {
            yield return BitConverter.ToUInt32(bytes, i);
        }
    }
}
