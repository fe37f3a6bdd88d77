using System.Buffers.Binary;
using Iced.Intel;

namespace Translator.Tests.Shared;

/// <summary>
/// Builds small flat multiboot images (header address fields, flag bit 16) from Iced-assembled code, for tests
/// that need a guest without a toolchain. The image loads at 1 MiB; the code follows the 32-byte header.
/// </summary>
public static class MultibootImage
{
    public const uint LoadAddress = 0x0010_0000;
    public const uint HeaderSize = 32;
    public const uint EntryAddress = LoadAddress + HeaderSize;

    /// <summary>Assembles <paramref name="emit"/> at the entry address and wraps it in a multiboot header.</summary>
    public static byte[] Build(Action<Assembler> emit, uint bssBytes = 0)
    {
        var assembler = new Assembler(32);
        emit(assembler);
        using var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), EntryAddress);
        return Wrap(stream.ToArray(), bssBytes);
    }

    /// <summary>
    /// A small CPU-bound image: sums <paramref name="count"/> down to 1 in EAX, then exits with <paramref name="exitValue"/>.
    /// Tests that key a cache on the image's bytes pass distinct counts so that they never share an entry.
    /// </summary>
    public static byte[] CountdownLoop(uint count, uint exitValue) => Build(a =>
    {
        Label loop = a.CreateLabel();
        a.mov(AssemblerRegisters.ecx, count);
        a.xor(AssemblerRegisters.eax, AssemblerRegisters.eax);
        a.Label(ref loop);
        a.add(AssemblerRegisters.eax, AssemblerRegisters.ecx);
        a.dec(AssemblerRegisters.ecx);
        a.jnz(loop);
        EmitExit(a, exitValue);
        a.hlt();
    });

    public static byte[] Wrap(ReadOnlySpan<byte> code, uint bssBytes = 0)
    {
        const uint magic = 0x1BAD_B002, flags = 1u << 16;
        var image = new byte[HeaderSize + code.Length];
        Span<byte> h = image;
        BinaryPrimitives.WriteUInt32LittleEndian(h[0..], magic);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], unchecked(0u - magic - flags));
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], LoadAddress);                              // header_addr
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], LoadAddress);                              // load_addr
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], LoadAddress + (uint)image.Length);         // load_end_addr
        BinaryPrimitives.WriteUInt32LittleEndian(h[24..], LoadAddress + (uint)image.Length + bssBytes); // bss_end_addr
        BinaryPrimitives.WriteUInt32LittleEndian(h[28..], EntryAddress);                             // entry_addr
        code.CopyTo(image.AsSpan((int)HeaderSize));
        return image;
    }

    /// <summary>Emits "write the bytes of <paramref name="text"/> to COM1" (polling LSR, as the C runtime does).</summary>
    public static void EmitPrint(Assembler a, string text)
    {
        foreach (char ch in text)
        {
            Label wait = a.CreateLabel();
            a.mov(AssemblerRegisters.dx, 0x3FD);
            a.Label(ref wait);
            a.@in(AssemblerRegisters.al, AssemblerRegisters.dx);
            a.test(AssemblerRegisters.al, 0x20);
            a.jz(wait);
            a.mov(AssemblerRegisters.dx, 0x3F8);
            a.mov(AssemblerRegisters.al, (byte)ch);
            a.@out(AssemblerRegisters.dx, AssemblerRegisters.al);
        }
    }

    /// <summary>Emits isa-debug-exit with value <paramref name="value"/> (QEMU exits with (value &lt;&lt; 1) | 1).</summary>
    public static void EmitExit(Assembler a, uint value)
    {
        a.mov(AssemblerRegisters.eax, value);
        a.@out(0xF4, AssemblerRegisters.eax);
    }
}
