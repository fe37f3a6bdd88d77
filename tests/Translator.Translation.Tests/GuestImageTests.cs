using Translator.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace Translator.Translation.Tests;

/// <summary>
/// Every conformance guest (tests/guests: gcc -O2 C programs, nasm system tests, the host-CPU oracle) gives the
/// same console output, exit code and retired-instruction count translated as on the plain interpreter.
/// </summary>
public sealed class GuestImageTests(ITestOutputHelper output)
{
    private static readonly Lazy<string> s_build = new(() =>
    {
        string root = RepositoryRoot.Path;
        string build = Path.Combine(root, "tests", "guests", "build");
        ProcessResult make = ProcessRunner.Run("make", ["-s", "-C", Path.Combine(root, "tests", "guests"), $"BUILD={build}"], TimeSpan.FromMinutes(5));
        if (make.ExitCode != 0)
        {
            throw new InvalidOperationException($"building the guest images failed:\n{make.StandardError}");
        }

        return build;
    });

    public static TheoryData<string> Images()
    {
        var data = new TheoryData<string>();
        foreach (string name in new[]
        {
            "sieve.elf", "crc32.elf", "sort.elf", "muldiv64.elf", "oracle.elf", "elf_hello.elf", "interp-small.elf",
            "exceptions.bin", "flags_misc.bin", "gdt_tss_idt.bin", "gp_ring3.bin", "io_heavy.bin", "pagetable_heavy.bin",
            "paging.bin", "pit_irq.bin", "ring3.bin", "syscall_heavy.bin", "uart_irq.bin", "addr16_counters.bin", "unassigned.bin",
        })
        {
            data.Add(name);
        }

        return data;
    }

    public static byte[] Load(string name) => File.ReadAllBytes(Path.Combine(s_build.Value, name));

    [Theory]
    [MemberData(nameof(Images))]
    public void Translated_run_is_identical_to_the_interpreter(string name)
    {
        byte[] image = Load(name);
        (TranslationResult result, Machine.Translation.TranslatedImage translation) = TranslatedCompiler.Translate(image);
        MachineRun native = MachineRun.Native(image);
        MachineRun translated = MachineRun.WithTranslation(image, translation);
        output.WriteLine($"{name}: {result.Regions} regions, {result.Instructions} instructions translated; " +
            $"retired {translated.Retired}, {translated.Translated} ({100.0 * translated.Translated / Math.Max(1, translated.Retired):F1}%) in translated code");
        Assert.Equal(native.Console, translated.Console);
        Assert.Equal(native.ExitCode, translated.ExitCode);
        Assert.Equal(native.Message, translated.Message);
        Assert.Equal(native.Retired, translated.Retired);
        Assert.Equal(native.State, translated.State);
        Assert.True(translated.Translated > 0, "no instruction ran in translated code");
    }
}
