using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Translation.Tests;

/// <summary>PV images through the translation core: hypercall sites become direct VMM calls; privileged instructions refuse the image.</summary>
public sealed class ParavirtTranslationTests
{
    private const uint Load = 0x10_0000, Page = 0x10_1000;

    /// <summary>A flat PV image: the 48-byte header, then the code at load + 48, the hypercall page (zeros) after it.</summary>
    private static byte[] PvImage(Action<Assembler> code)
    {
        var a = new Assembler(32);
        code(a);
        var writer = new CodeWriterImpl();
        a.Assemble(writer, Load + 48);
        byte[] body = writer.Bytes.ToArray();
        var image = new byte[0x2000];
        uint[] header = [0x3156_5054, 48, 1, 0, Load, Load + 0x2000, Load + 0x2000, Load + 48, Page, 0, 0, 0];
        header[11] = unchecked(0u - header.Aggregate(0u, (s, v) => unchecked(s + v)));
        for (int k = 0; k < 12; k++)
        {
            BitConverter.GetBytes(header[k]).CopyTo(image, 4 * k);
        }

        body.CopyTo(image, 48);
        return image;
    }

    private sealed class CodeWriterImpl : Iced.Intel.CodeWriter
    {
        public List<byte> Bytes { get; } = [];

        public override void WriteByte(byte value) => Bytes.Add(value);
    }

    [Fact]
    public void A_hypercall_page_call_is_a_direct_call_without_int_0x82()
    {
        byte[] image = PvImage(a =>
        {
            a.mov(ebx, 0u);
            a.call(Page + 32 * 18);
            a.mov(eax, 29);
            a.@int(0x82);
            a.jmp(Page + 32 * 23);
        });

        TranslationResult result = BinaryTranslator.Translate(image, new TranslationOptions());

        Assert.Contains("// hypercall 18 console_io (direct call: no int 0x82, no exception delivery)", result.Source, StringComparison.Ordinal);
        Assert.Contains("cpu.TcHypercall(0x00000012u);", result.Source, StringComparison.Ordinal);
        Assert.Contains("cpu.TcHypercall(eax);", result.Source, StringComparison.Ordinal);
        Assert.Contains("// hypercall 23 iret", result.Source, StringComparison.Ordinal);
        Assert.DoesNotContain("Fallbacks.Ops", result.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void A_privileged_instruction_refuses_the_image_naming_it_and_its_address()
    {
        byte[] image = PvImage(a =>
        {
            a.nop();
            a.cli();
            a.jmp(Page + 32 * 23);
        });

        PrivilegedInstructionException e = Assert.Throws<PrivilegedInstructionException>(() => BinaryTranslator.Translate(image, new TranslationOptions()));
        Assert.Equal("PV image holds a privileged instruction at 0x00100031: cli; a PV kernel uses the hypercall interface instead", e.Message);
    }
}
