using Iced.Intel;
using Translator.Tests.Shared;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Cli.Tests;

/// <summary>--device adds QEMU's optional devices; the debug console's bytes go to stderr, stdout stays COM1's.</summary>
public sealed class DeviceOptionTests
{
    private static byte[] WritesToTheDebugConsoleAndCom1() => MultibootImage.Build(a =>
    {
        foreach (char ch in "E9")
        {
            a.mov(al, (byte)ch);
            a.@out(0xE9, al);
        }

        a.@in(al, 0xE9);                       // 0xE9 with the device, 0xFF without
        a.cmp(al, 0xE9);
        Label absent = a.CreateLabel(), done = a.CreateLabel();
        a.jne(absent);
        MultibootImage.EmitPrint(a, "present");
        a.jmp(done);
        a.Label(ref absent);
        MultibootImage.EmitPrint(a, "absent");
        a.Label(ref done);
        MultibootImage.EmitExit(a, 0);
    });

    [Theory]
    [InlineData("native")]
    [InlineData("hw")]
    [InlineData("trap")]
    public void TheDebugConsoleWritesToStderrOnlyWhenAskedFor(string backend)
    {
        string image = TranslatorProcess.WriteTemp(WritesToTheDebugConsoleAndCom1());
        TranslatorProcess.Result with = TranslatorProcess.Run("run", image, "--backend", backend, "--device", "isa-debugcon");
        Assert.Equal(1, with.ExitCode);
        Assert.Equal("present", System.Text.Encoding.ASCII.GetString(with.Stdout));
        Assert.Contains("E9", with.Stderr, StringComparison.Ordinal);

        TranslatorProcess.Result without = TranslatorProcess.Run("run", image, "--backend", backend);
        Assert.Equal(1, without.ExitCode);
        Assert.Equal("absent", System.Text.Encoding.ASCII.GetString(without.Stdout));
        Assert.DoesNotContain("E9", without.Stderr, StringComparison.Ordinal);
    }
}
