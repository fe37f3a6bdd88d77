using Translator.Guest;
using Xunit;

namespace Translator.Samples.Tests;

/// <summary>
/// Compute's functions are pure C#: run as .NET code they must produce the numbers the guest printed (and the
/// textbook answers where there are any).
/// </summary>
public sealed class ComputeCrossCheckTests
{
    [Fact]
    public void DotNetAgreesWithTheGuestsExpectedOutput()
    {
        string expected = System.Text.Encoding.ASCII.GetString(SampleCatalog.Find("Compute")!.ExpectedOutput);

        Assert.Equal(17984u, Compute.CountPrimes(Compute.SieveLimit));
        Assert.Contains("primes below 200000: 17984\n", expected);

        Compute.BuildCrcTable();
        Assert.Equal(0x414FA339u, Compute.Crc32OfText("The quick brown fox jumps over the lazy dog"));
        Assert.Contains("crc32(pangram): 414fa339\n", expected);
        Assert.Contains($"crc32(64 KiB pattern): {Compute.Crc32OfPattern(65536):x8}\n", expected);

        Compute.FillNumbers(12345);
        Compute.QuickSort(0, Compute.SortCount - 1);
        Assert.True(Compute.IsSorted());
        Assert.Contains($"checksum {Compute.Checksum():x8}\n", expected);

        Assert.Contains($"fnv1a64(pangram): {Compute.Fnv1a64("The quick brown fox jumps over the lazy dog"):x16}\n", expected);
        Assert.Contains($"mixed hash of 1..100000: {Compute.MixRange(100_000):x16}\n", expected);
    }

    [Fact]
    public void PrivilegedIntrinsicsRefuseToRunAsDotNetCode()
        => Assert.Throws<GuestOnlyException>(() => Cpu.Halt());
}
