using Iced.Intel;
using Translator.Tests.Shared;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Tests.Shared.PvTestImage;

namespace Translator.Translation.Tests;

/// <summary>PV images through the translation core: hypercall sites become direct VMM calls; privileged instructions refuse the image.</summary>
public sealed class ParavirtTranslationTests
{
    [Fact]
    public void HypercallSitesAreDirectCallsWithoutInt0x82()
    {
        byte[] image = Build((a, d) =>
        {
            Hypercall(a, 18, b: 0, c: 4, d: d.At(0));   // call page + 32*18
            a.mov(eax, 29u);
            a.@int(0x82);                                // a literal int 0x82: EAX at run time
            a.jmp(HypercallPage + 32 * 23);              // HYPERVISOR_iret
        });

        string source = BinaryTranslator.Translate(image, new TranslationOptions()).Source;

        Assert.Contains("// hypercall 18 console_io (direct call: no int 0x82, no exception delivery)", source, StringComparison.Ordinal);
        Assert.Contains("cpu.TcHypercall(0x00000012u, budget - left);", source, StringComparison.Ordinal);
        Assert.Contains("cpu.TcIsHypercallStub(0x00101240u, 0x00000012u)", source, StringComparison.Ordinal);
        Assert.Contains("cpu.TcHypercall(eax, blockStart);", source, StringComparison.Ordinal);
        Assert.Contains("// hypercall 23 iret", source, StringComparison.Ordinal);
        Assert.Contains("cpu.TcHypercall(0x00000017u, budget - left);", source, StringComparison.Ordinal);
        Assert.DoesNotContain("Fallbacks.Ops", source, StringComparison.Ordinal); // no site runs the int 0x82 handler
    }

    /// <summary>The literal int 0x82's block starts at the label a jump reaches, or earlier when control falls into it.</summary>
    [Fact]
    public void ALiteralInt0x82KnowsWhereItsInterpreterBlockBegan()
    {
        byte[] image = Build((a, d) =>
        {
            Label inside = a.CreateLabel();
            a.mov(ecx, 3u);
            a.Label(ref inside);                         // a loop head: reached by falling in, and by the jump back
            a.mov(eax, 17u);
            a.@int(0x82);
            a.dec(ecx);
            a.jnz(inside);
            ExitWithResult(a, d);
        });

        string source = BinaryTranslator.Translate(image, new TranslationOptions()).Source;

        Assert.Contains("goto L_00100035_in;", source, StringComparison.Ordinal);
        Assert.Contains("L_00100035:", source, StringComparison.Ordinal);
        Assert.Contains("blockStart = budget - left;", source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cli")]
    [InlineData("hlt")]
    [InlineData("out dx,al")]
    [InlineData("mov cr3,eax")]
    [InlineData("invlpg [eax]")]
    [InlineData("lgdt [eax]")]
    public void APrivilegedInstructionRefusesTheImageNamingItAndItsAddress(string instruction)
    {
        byte[] image = Build((a, d) =>
        {
            a.nop();
            switch (instruction)
            {
                case "cli": a.cli(); break;
                case "hlt": a.hlt(); break;
                case "out dx,al": a.@out(dx, al); break;
                case "mov cr3,eax": a.mov(cr3, eax); break;
                case "invlpg [eax]": a.invlpg(__[eax]); break;
                default: a.lgdt(__[eax]); break;
            }

            ExitWithResult(a, d);
        });

        PrivilegedInstructionException e = Assert.Throws<PrivilegedInstructionException>(() => BinaryTranslator.Translate(image, new TranslationOptions()));
        Assert.Equal(0x0010_0031u, e.Address);
        Assert.Equal($"PV image holds a privileged instruction at 0x00100031: {instruction}; a PV kernel uses the hypercall interface instead", e.Message);
    }

    [Fact]
    public void PushfAndPopfAreNotRefused()
    {
        byte[] image = Build((a, d) =>
        {
            a.pushfd();
            a.popfd();               // sensitive but not faulting at CPL 1 (docs/paravirt-abi.md 3.5): the guest's business
            ExitWithResult(a, d);
        });

        Assert.NotEmpty(BinaryTranslator.Translate(image, new TranslationOptions()).Source);
    }
}
