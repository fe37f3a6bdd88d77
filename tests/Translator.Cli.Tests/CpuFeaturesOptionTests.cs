using Iced.Intel;
using Translator.Tests.Shared;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Cli.Tests;

/// <summary>
/// --cpu-features chooses the processor's SIMD unit: by default it has all of it (fpu, mmx, sse, sse2, with FXSR), as
/// QEMU's default CPU reports; "none" is the i686 integer core; a set that breaks a dependency is exit 2.
/// </summary>
public sealed class CpuFeaturesOptionTests
{
    /// <summary>Writes CPUID.01H:EDX's four bytes to COM1.</summary>
    private static byte[] PrintsCpuidLeafOneEdx() => MultibootImage.Build(a =>
    {
        a.mov(eax, 1);
        a.cpuid();
        a.mov(ebx, edx);
        a.mov(dx, 0x3F8);
        for (int i = 0; i < 4; i++)
        {
            a.mov(al, bl);
            a.@out(dx, al);
            a.shr(ebx, 8);
        }

        MultibootImage.EmitExit(a, 0);
    });

    private const uint Fpu = 1u << 0, Mmx = 1u << 23, Fxsr = 1u << 24, Sse = 1u << 25, Sse2 = 1u << 26;

    private static uint LeafOneEdx(params string[] arguments)
    {
        string image = TranslatorProcess.WriteTemp(PrintsCpuidLeafOneEdx());
        TranslatorProcess.Result run = TranslatorProcess.Run(["run", image, .. arguments]);
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Equal(4, run.Stdout.Length);
        return BitConverter.ToUInt32(run.Stdout);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("hw")]
    [InlineData("bt")]
    [InlineData("trap")]
    public void ByDefaultTheProcessorHasTheWholeSimdUnit(string backend)
    {
        uint all = Fpu | Mmx | Fxsr | Sse | Sse2;
        Assert.Equal(all, LeafOneEdx("--backend", backend) & all);
    }

    [Fact]
    public void NoneIsTheIntegerCore() => Assert.Equal(0u, LeafOneEdx("--cpu-features", "none") & (Fpu | Mmx | Fxsr | Sse | Sse2));

    [Fact]
    public void AListGivesExactlyItsUnits()
    {
        Assert.Equal(Fpu, LeafOneEdx("--cpu-features", "fpu") & (Fpu | Mmx | Fxsr | Sse | Sse2));
        Assert.Equal(Fxsr | Sse, LeafOneEdx("--cpu-features", "sse") & (Fpu | Mmx | Fxsr | Sse | Sse2));
    }

    [Theory]
    [InlineData("none,sse", "--cpu-features none stands alone")]
    [InlineData("mmx", "--cpu-features mmx needs fpu too")]
    [InlineData("sse2", "--cpu-features sse2 needs sse too")]
    [InlineData("avx", "unknown CPU feature 'avx'")]
    public void ASetItCannotMakeIsBadInput(string value, string message)
    {
        string image = TranslatorProcess.WriteTemp(PrintsCpuidLeafOneEdx());
        TranslatorProcess.Result run = TranslatorProcess.Run("run", image, "--cpu-features", value);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }
}
