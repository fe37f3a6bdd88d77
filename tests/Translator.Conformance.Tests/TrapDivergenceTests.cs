using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// Every conformance image under <c>trap</c> (trap-and-emulate only), against bare metal: the list of images that
/// diverge, and why, is pinned here. A change that makes an image diverge, or heal, fails until the list is updated.
/// </summary>
public sealed class TrapDivergenceTests
{
    /// <summary>
    /// The nasm images print through common.inc's <c>puts</c>, which asks "am I at ring 3?" with <c>mov eax, cs;
    /// test al, 3</c>. Deprivileged to CPL 1 the kernel reads RPL 1 (the MOV-from-CS hole), believes it is a user
    /// program, and asks the kernel to print with <c>int 0x82</c> before it has an IDT: a triple fault (exit 4)
    /// after whatever it printed before. gcc's C images never read CS and never run a sensitive unprivileged
    /// instruction, so trap-and-emulate is enough for them.
    /// </summary>
    private const string MovFromCsHole = "the kernel sees RPL 1 in CS, takes itself for ring 3 and makes a system call with no IDT";

    public static TheoryData<string, string?> Images => new()
    {
        { "sieve.elf", null },
        { "crc32.elf", null },
        { "sort.elf", null },
        { "muldiv64.elf", null },
        { "gdt_tss_idt.bin", MovFromCsHole },
        { "ring3.bin", MovFromCsHole },
        { "exceptions.bin", MovFromCsHole },
        { "gp_ring3.bin", MovFromCsHole },
        { "paging.bin", MovFromCsHole },
        { "pit_irq.bin", MovFromCsHole },
        { "uart_irq.bin", MovFromCsHole },
        { "flags_misc.bin", MovFromCsHole },
        { "syscall_heavy.bin", MovFromCsHole },
        { "io_heavy.bin", MovFromCsHole },
        { "pagetable_heavy.bin", MovFromCsHole },
        { "elf_hello.elf", MovFromCsHole },
        { "addr16_counters.bin", MovFromCsHole },
        { "unassigned.bin", MovFromCsHole },
    };

    [Fact]
    public void EveryConformanceImageIsListed() =>
        Assert.Equal(
            ((IEnumerable<object[]>)QemuConformanceTests.Images).Select(row => (string)row[0]).Order(),
            ((IEnumerable<object[]>)Images).Select(row => (string)row[0]).Order());

    [Theory]
    [MemberData(nameof(Images))]
    public void DivergesFromBareMetalOnlyWherePinned(string image, string? why)
    {
        string path = GuestImages.Instance.PathOf(image);
        NativeRunner.Outcome native = NativeRunner.Run(path);
        NativeRunner.Outcome trap = HwRunner.Run(path, BackendKind.TrapAndEmulate);
        bool identical = trap.ExitCode == native.ExitCode && trap.Console.AsSpan().SequenceEqual(native.Console);
        if (why is null)
        {
            Assert.True(identical, $"{image} under trap ({trap.Result.Message}):\n" + OutputDiff.Describe("native", native.Console, "trap", trap.Console));
            return;
        }

        Assert.False(identical, $"{image} no longer diverges under trap ({why}): update the pinned list");
        Assert.Equal(4, trap.ExitCode);
        Assert.Contains("triple fault", trap.Result.Message, StringComparison.Ordinal);
        Assert.True(native.Console.AsSpan().StartsWith(trap.Console), $"{image}: trap printed what bare metal did not before diverging");
    }
}
