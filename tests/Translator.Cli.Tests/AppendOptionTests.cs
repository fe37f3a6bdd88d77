using Iced.Intel;
using Translator.Tests.Shared;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Cli.Tests;

/// <summary>--append gives the guest a multiboot command line as QEMU's -append does: the image's name, a space, the text.</summary>
public sealed class AppendOptionTests
{
    /// <summary>Prints the multiboot cmdline to COM1 (or "none" when info flag bit 2 is clear), then exits with 0.</summary>
    private static byte[] PrintsItsCommandLine() => MultibootImage.Build(a =>
    {
        Label none = a.CreateLabel(), next = a.CreateLabel(), wait = a.CreateLabel(), done = a.CreateLabel();
        a.test(__dword_ptr[ebx], 1 << 2);
        a.jz(none);
        a.mov(esi, __dword_ptr[ebx + 16]);
        a.Label(ref next);
        a.mov(cl, __byte_ptr[esi]);
        a.test(cl, cl);
        a.jz(done);
        a.mov(dx, 0x3FD);
        a.Label(ref wait);
        a.@in(al, dx);
        a.test(al, 0x20);
        a.jz(wait);
        a.mov(dx, 0x3F8);
        a.mov(al, cl);
        a.@out(dx, al);
        a.inc(esi);
        a.jmp(next);
        a.Label(ref none);
        MultibootImage.EmitPrint(a, "none");
        a.Label(ref done);
        MultibootImage.EmitExit(a, 0);
    });

    [Theory]
    [InlineData("native")]
    [InlineData("hw")]
    [InlineData("bt")]
    [InlineData("trap")]
    public void TheGuestReadsTheImageNameAndTheTextAsItsCommandLine(string backend)
    {
        string image = TranslatorProcess.WriteTemp(PrintsItsCommandLine());
        TranslatorProcess.Result with = TranslatorProcess.Run("run", image, "--backend", backend, "--append", "cpuid  two words");
        Assert.Equal(1, with.ExitCode);
        Assert.Equal($"{image} cpuid  two words", System.Text.Encoding.UTF8.GetString(with.Stdout));

        // QEMU gives a command line even without -append: the kernel's name and a space.
        TranslatorProcess.Result without = TranslatorProcess.Run("run", image, "--backend", backend);
        Assert.Equal(1, without.ExitCode);
        Assert.Equal($"{image} ", System.Text.Encoding.UTF8.GetString(without.Stdout));
    }

    [Fact]
    public void ACommandLineTooLongIsBadInput()
    {
        string image = TranslatorProcess.WriteTemp(PrintsItsCommandLine());
        TranslatorProcess.Result run = TranslatorProcess.Run("run", image, "--append", new string('x', 5000));
        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Stdout);
        Assert.Contains("command line", run.Stderr, StringComparison.Ordinal);
    }
}
