using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// QEMU is the second oracle: every conformance image must print the same COM1 bytes and exit with the same code
/// on <c>qemu-system-i386</c> (TCG) and on the <c>native</c> backend, and the same again on the hardware-assisted
/// backend in both memory-virtualization modes (nested paging and shadow paging), and under binary translation;
/// native and hw also with translated code.
/// </summary>
public sealed class QemuConformanceTests
{
    public static TheoryData<string> Images => new()
    {
        // gcc -O2 freestanding C programs
        "sieve.elf", "crc32.elf", "sort.elf", "muldiv64.elf",
        // nasm system tests
        "gdt_tss_idt.bin", "ring3.bin", "exceptions.bin", "gp_ring3.bin", "paging.bin", "pit_irq.bin", "uart_irq.bin",
        "flags_misc.bin", "syscall_heavy.bin", "io_heavy.bin", "pagetable_heavy.bin", "elf_hello.elf", "addr16_counters.bin", "unassigned.bin",
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void NativeMatchesQemu(string image)
    {
        string path = GuestImages.Instance.PathOf(image);
        ProcessResult qemu = ProcessRunner.RunQemu(path, TimeSpan.FromSeconds(60));
        Assert.False(qemu.TimedOut, $"QEMU timed out on {image}");
        foreach (NativeRunner.Tier tier in new[] { NativeRunner.Tier.InterpretOnly, NativeRunner.Tier.CompileAll })
        {
            AssertSame(image, qemu, NativeRunner.Run(path, tier), $"native, {tier}");
        }

        // Exits happen in the middle of interpreted and of compiled blocks: both tiers, in both memory modes.
        foreach (MemoryVirtualization paging in new[] { MemoryVirtualization.NestedPaging, MemoryVirtualization.ShadowPaging })
        {
            foreach (NativeRunner.Tier tier in new[] { NativeRunner.Tier.InterpretOnly, NativeRunner.Tier.CompileAll })
            {
                AssertSame(image, qemu, HwRunner.Run(path, paging, tier), $"hw, {paging}, {tier}");
            }
        }

        // bt: the image's run-time translation, with the code it does not cover interpreted or compiled; then with no
        // translated code at all (callouts in the middle of interpreted and of compiled blocks).
        foreach (NativeRunner.Tier tier in new[] { NativeRunner.Tier.InterpretOnly, NativeRunner.Tier.CompileAll })
        {
            AssertSame(image, qemu, HwRunner.Run(path, BackendKind.BinaryTranslation, tier: tier), $"bt, translated, {tier}");
        }

        AssertSame(image, qemu, HwRunner.Run(path, BackendKind.BinaryTranslation, translation: TranslationSource.InterpreterOnly), "bt, interpreter only");

        // native and hw on the same translated code, its sensitive instructions on their own handlers (architectural,
        // or VMX non-root rules and exits), in both memory modes.
        AssertSame(image, qemu, HwRunner.Run(path, BackendKind.Native, execution: ExecutionTier.Translated), "native, translated");
        foreach (MemoryVirtualization paging in new[] { MemoryVirtualization.NestedPaging, MemoryVirtualization.ShadowPaging })
        {
            AssertSame(image, qemu, HwRunner.Run(path, paging, execution: ExecutionTier.Translated), $"hw, {paging}, translated");
        }
    }

    private static void AssertSame(string image, ProcessResult qemu, NativeRunner.Outcome native, string run)
    {
        Assert.True(
            qemu.StandardOutput.AsSpan().SequenceEqual(native.Console),
            $"{image} ({run}): console differs from QEMU (stopped: {native.Result.Reason} {native.Result.Message})\n" +
            OutputDiff.Describe("qemu", qemu.StandardOutput, run, native.Console));
        Assert.Equal(qemu.ExitCode, native.ExitCode);
        Assert.Equal(1, native.ExitCode); // every conformance guest ends with a debug exit of 0
    }
}
