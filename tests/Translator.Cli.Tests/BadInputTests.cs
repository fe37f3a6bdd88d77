using System.Buffers.Binary;
using Translator.Tests.Shared;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary>Bad input never crashes the tool: exit code 2 and one line on stderr saying why, never a stack trace.</summary>
public sealed class BadInputTests
{
    private static void AssertRejected(TranslatorProcess.Result result, string expectedFragment)
    {
        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Stdout);
        string stderr = result.Stderr.TrimEnd('\n');
        Assert.DoesNotContain('\n', stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Contains(expectedFragment, stderr, StringComparison.OrdinalIgnoreCase);
    }

    private static byte[] ValidImage() => MultibootImage.Build(a => MultibootImage.EmitExit(a, 0));

    [Fact]
    public void UnknownOption() =>
        AssertRejected(TranslatorProcess.Run("run", TranslatorProcess.WriteTemp(ValidImage()), "--frobnicate"), "unknown option");

    [Fact]
    public void UnknownDevice() =>
        AssertRejected(TranslatorProcess.Run("run", TranslatorProcess.WriteTemp(ValidImage()), "--device", "sound-blaster"), "unknown device");

    [Fact]
    public void UnknownCommand() => AssertRejected(TranslatorProcess.Run("fly"), "unknown command");

    [Fact]
    public void UnknownBackend() =>
        AssertRejected(TranslatorProcess.Run("run", TranslatorProcess.WriteTemp(ValidImage()), "--backend", "quantum"), "unknown backend");

    [Fact]
    public void OptionWithoutValue() =>
        AssertRejected(TranslatorProcess.Run("run", TranslatorProcess.WriteTemp(ValidImage()), "--memory"), "needs a value");

    [Fact]
    public void BadNumbers()
    {
        string image = TranslatorProcess.WriteTemp(ValidImage());
        AssertRejected(TranslatorProcess.Run("run", image, "--memory", "lots"), "--memory");
        AssertRejected(TranslatorProcess.Run("run", image, "--max-instructions", "-5"), "--max-instructions");
    }

    [Fact]
    public void MissingFile() =>
        AssertRejected(TranslatorProcess.Run("run", "/nonexistent/kernel.elf"), "cannot read image");

    [Fact]
    public void EmptyFile() => AssertRejected(TranslatorProcess.Run("run", TranslatorProcess.WriteTemp([])), "");

    [Fact]
    public void WrongMagic()
    {
        byte[] image = ValidImage();
        BinaryPrimitives.WriteUInt32LittleEndian(image, 0xDEADBEEF);
        AssertRejected(TranslatorProcess.Run("run", TranslatorProcess.WriteTemp(image)), "multiboot");
    }

    [Fact]
    public void BadChecksum()
    {
        byte[] image = ValidImage();
        image[8] ^= 1;
        AssertRejected(TranslatorProcess.Run("run", TranslatorProcess.WriteTemp(image)), "checksum");
    }

    [Fact]
    public void TruncatedImage()
    {
        byte[] image = ValidImage();
        AssertRejected(TranslatorProcess.Run("run", TranslatorProcess.WriteTemp(image[..20])), "");
    }

    [Fact]
    public void ImageLargerThanGuestRam()
    {
        // bss_end far beyond 2 MiB of RAM.
        byte[] image = MultibootImage.Wrap([0xF4], bssBytes: 64u << 20);
        AssertRejected(TranslatorProcess.Run("run", TranslatorProcess.WriteTemp(image), "--memory", "2"), "");
    }

    [Fact]
    public void RandomBytesNeverCrash()
    {
        var random = new Random(1234);
        for (int i = 0; i < 5; i++)
        {
            byte[] junk = new byte[random.Next(1, 4096)];
            random.NextBytes(junk);
            AssertRejected(TranslatorProcess.Run("run", TranslatorProcess.WriteTemp(junk)), "");
        }
    }
}
