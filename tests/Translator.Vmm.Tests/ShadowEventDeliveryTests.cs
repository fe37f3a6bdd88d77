using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Cpu;
using Translator.Tests.Shared;
using Translator.Vmm.Backends;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests;

/// <summary>
/// An exception delivered through the guest IDT under shadow paging, where delivery itself takes hidden #PF exits:
/// the stack page and the GDT are not yet in the shadow, and once read the GDT's shadow entry is read-only until the
/// guest page is dirty, so setting the code descriptor's accessed bit (part of delivery) exits too. Each such exit
/// is during delivery (IDT-vectoring information) and the VMM re-injects the event; the event must still reach the
/// handler exactly once, with one frame on the stack. The handler's first instruction then writes a page whose
/// shadow entry is read-only: a hidden #PF after delivery, which only restarts that instruction.
/// (The differential fuzzer found this: tests/regressions/hw-shadow-fault-frame-*.txt.)
/// </summary>
public sealed class ShadowEventDeliveryTests
{
    private const uint Gdt = 0x6000, Gdtr = 0x6FF0, HandlerCount = HwHarness.DataPage, HandlerEsp = HwHarness.DataPage + 4;

    [Theory]
    [InlineData(MemoryVirtualization.ShadowPaging)]
    [InlineData(MemoryVirtualization.NestedPaging)]
    public void AnExceptionWhoseDeliveryExitsIsDeliveredOnce(MemoryVirtualization paging)
    {
        var h = HwHarness.Boot(a =>
        {
            Label handler = a.CreateLabel(), setUp = a.CreateLabel();
            a.call(setUp); // pushes the handler's address, which the gate needs

            a.Label(ref handler);
            a.add(__dword_ptr[HandlerCount], 1);   // first instruction: a write to the read-only shadow entry
            a.mov(__dword_ptr[HandlerEsp], esp);
            MultibootImage.EmitExit(a, HwHarness.HandlerReport((int)ExceptionVector.InvalidOpcode));

            a.Label(ref setUp);
            a.pop(ebx);
            EmitGate(a, (int)ExceptionVector.InvalidOpcode);
            EmitGdtWithUnaccessedCode(a);
            HwHarness.EmitEnablePaging(a);
            a.mov(eax, __dword_ptr[HandlerCount]); // a read: the shadow maps the (clean) data page read-only
            a.ud2();
        }, paging);

        MachineResult result = h.Run();

        Assert.True(result.Reason == MachineStopReason.DebugExit, $"{result.Reason}: {result.Message}");
        Assert.Equal(1u, h.Memory.Read32(HandlerCount));
        Assert.Equal(HwHarness.StackTop - 12, h.Memory.Read32(HandlerEsp)); // EFLAGS, CS, EIP: one frame
        Assert.Equal(0x0000_9B00u, h.Memory.Read32(Gdt + 12) & 0x0000_FF00); // delivery set the accessed bit
        if (paging == MemoryVirtualization.ShadowPaging)
        {
            // The exits this test is about: during delivery for the GDT write, after it for the handler's write.
            Assert.Contains(h.Exits, e => e.Reason == VmExitReason.ExceptionOrNmi && e.Qualification == Gdt + 12
                && e.IdtVectoring.Valid && e.IdtVectoring.Vector == (int)ExceptionVector.InvalidOpcode);
            Assert.Contains(h.Exits, e => e.Reason == VmExitReason.ExceptionOrNmi && e.Qualification == HandlerCount
                && !e.IdtVectoring.Valid);
        }
    }

    /// <summary>A GDT of its own whose code descriptor (0x08, the selector CS already holds) is not yet accessed.</summary>
    private static void EmitGdtWithUnaccessedCode(Assembler a)
    {
        a.mov(__dword_ptr[Gdt + 8], 0x0000_FFFF);
        a.mov(__dword_ptr[Gdt + 12], 0x00CF_9A00);
        a.mov(__dword_ptr[Gdt + 16], 0x0000_FFFF);
        a.mov(__dword_ptr[Gdt + 20], 0x00CF_9300);
        a.mov(__word_ptr[Gdtr], 3 * 8 - 1);
        a.mov(__dword_ptr[Gdtr + 2], Gdt);
        a.lgdt(__[Gdtr]);
    }

    /// <summary>Points the harness IDT's 32-bit interrupt gate <paramref name="vector"/> at the address in EBX.</summary>
    private static void EmitGate(Assembler a, int vector)
    {
        uint gate = HwHarness.IdtBase + ((uint)vector * 8);
        a.mov(eax, ebx);
        a.and(eax, 0xFFFF);
        a.or(eax, 0x08 << 16);
        a.mov(__dword_ptr[gate], eax);
        a.and(ebx, unchecked((int)0xFFFF_0000));
        a.or(ebx, 0x8E00);
        a.mov(__dword_ptr[gate + 4], ebx);
    }
}
