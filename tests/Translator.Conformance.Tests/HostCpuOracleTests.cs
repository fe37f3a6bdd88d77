using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// The host CPU is the oracle: oracle.c runs every integer instruction over edge operands and prints results and
/// defined flags. Built with gcc -m32 it runs natively on this machine; built as a multiboot guest it runs on the
/// emulated PC. The transcripts must be identical.
/// </summary>
public sealed class HostCpuOracleTests
{
    [Theory]
    [InlineData(NativeRunner.Tier.InterpretOnly)]
    [InlineData(NativeRunner.Tier.CompileAll)]
    public void EmulatedCpuMatchesHostCpu(NativeRunner.Tier tier)
    {
        ProcessResult host = ProcessRunner.Run(GuestImages.Instance.PathOf("oracle-host"), [], TimeSpan.FromMinutes(2));
        Assert.Equal(0, host.ExitCode);
        Assert.True(host.StandardOutput.Length > 10_000, "the oracle printed suspiciously little");

        NativeRunner.Outcome guest = NativeRunner.Run(GuestImages.Instance.PathOf("oracle.elf"), tier);
        Assert.True(
            host.StandardOutput.AsSpan().SequenceEqual(guest.Console),
            $"emulated CPU ({tier}) differs from the host CPU (guest stopped: {guest.Result.Reason} {guest.Result.Message})\n" +
            OutputDiff.Describe("host", host.StandardOutput, "native", guest.Console));
        Assert.Equal(1, guest.ExitCode);
    }

    /// <summary>The same transcript from the guest in VMX non-root mode, in both memory-virtualization modes.</summary>
    [Theory]
    [InlineData(MemoryVirtualization.NestedPaging)]
    [InlineData(MemoryVirtualization.ShadowPaging)]
    public void HardwareAssistedGuestMatchesHostCpu(MemoryVirtualization paging)
    {
        ProcessResult host = ProcessRunner.Run(GuestImages.Instance.PathOf("oracle-host"), [], TimeSpan.FromMinutes(2));
        Assert.Equal(0, host.ExitCode);
        NativeRunner.Outcome guest = HwRunner.Run(GuestImages.Instance.PathOf("oracle.elf"), paging);
        Assert.True(
            host.StandardOutput.AsSpan().SequenceEqual(guest.Console),
            $"hw ({paging}) differs from the host CPU (guest stopped: {guest.Result.Reason} {guest.Result.Message})\n" +
            OutputDiff.Describe("host", host.StandardOutput, "hw", guest.Console));
        Assert.Equal(1, guest.ExitCode);
    }
}
