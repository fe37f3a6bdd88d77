using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// The host CPU is the oracle: oracle.c runs every integer instruction over edge operands and prints results and
/// defined flags. Built with gcc -m32 it runs natively on this machine (or, where the kernel runs no 32-bit programs,
/// its x86-64 build runs every section that has a 64-bit-mode form: see <see cref="HostCpuTranscript"/>); built as a
/// multiboot guest it runs on the emulated PC. The transcripts must match.
/// </summary>
public sealed class HostCpuOracleTests
{
    [Theory]
    [InlineData(NativeRunner.Tier.InterpretOnly)]
    [InlineData(NativeRunner.Tier.CompileAll)]
    public void EmulatedCpuMatchesHostCpu(NativeRunner.Tier tier)
    {
        HostCpuTranscript host = HostCpuTranscript.Instance;
        NativeRunner.Outcome guest = NativeRunner.Run(GuestImages.Instance.PathOf("oracle.elf"), tier);
        string? mismatch = host.Mismatch("native", guest.Console);
        Assert.True(
            mismatch is null,
            $"emulated CPU ({tier}) differs from the host CPU ({host.Build}; guest stopped: {guest.Result.Reason} {guest.Result.Message})\n{mismatch}");
        Assert.Equal(1, guest.ExitCode);
    }

    /// <summary>The same transcript from the guest in VMX non-root mode, in both memory-virtualization modes.</summary>
    [Theory]
    [InlineData(MemoryVirtualization.NestedPaging)]
    [InlineData(MemoryVirtualization.ShadowPaging)]
    public void HardwareAssistedGuestMatchesHostCpu(MemoryVirtualization paging)
    {
        HostCpuTranscript host = HostCpuTranscript.Instance;
        NativeRunner.Outcome guest = HwRunner.Run(GuestImages.Instance.PathOf("oracle.elf"), paging);
        string? mismatch = host.Mismatch("hw", guest.Console);
        Assert.True(
            mismatch is null,
            $"hw ({paging}) differs from the host CPU ({host.Build}; guest stopped: {guest.Result.Reason} {guest.Result.Message})\n{mismatch}");
        Assert.Equal(1, guest.ExitCode);
    }

    /// <summary>The same transcript from the binary-translation core's code under native and hw (EPT and shadow).</summary>
    [Theory]
    [InlineData(BackendKind.Native, MemoryVirtualization.NestedPaging)]
    [InlineData(BackendKind.HardwareAssisted, MemoryVirtualization.NestedPaging)]
    [InlineData(BackendKind.HardwareAssisted, MemoryVirtualization.ShadowPaging)]
    public void TranslatedCodeMatchesHostCpu(BackendKind backend, MemoryVirtualization paging)
    {
        HostCpuTranscript host = HostCpuTranscript.Instance;
        NativeRunner.Outcome guest = HwRunner.Run(GuestImages.Instance.PathOf("oracle.elf"), backend, paging, execution: ExecutionTier.Translated);
        string? mismatch = host.Mismatch("translated", guest.Console);
        Assert.True(
            mismatch is null,
            $"translated {backend} ({paging}) differs from the host CPU ({host.Build}; guest stopped: {guest.Result.Reason} {guest.Result.Message})\n{mismatch}");
        Assert.Equal(1, guest.ExitCode);
    }

    /// <summary>The comparison itself: a transcript shaped like the guest's matches, and one changed case does not.</summary>
    [Fact]
    public void ComparisonCatchesOneChangedCase()
    {
        HostCpuTranscript host = HostCpuTranscript.Instance;
        string text = System.Text.Encoding.UTF8.GetString(host.Output).Replace("# not in 64-bit mode: ", "# ");
        Assert.Null(host.Mismatch("copy", System.Text.Encoding.UTF8.GetBytes(text)));

        int line = text.IndexOf("\nadd32 ", StringComparison.Ordinal) + 1;
        int end = text.IndexOf('\n', line);
        string changed = text[..(end - 1)] + (text[end - 1] == '0' ? '1' : '0') + text[end..];
        string? mismatch = host.Mismatch("changed", System.Text.Encoding.UTF8.GetBytes(changed));
        Assert.NotNull(mismatch);
        if (!host.IsComplete)
        {
            Assert.Contains("section 'ALU reg,reg", mismatch);
        }
    }
}
