using System.Buffers.Binary;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Tests.Shared;

/// <summary>
/// Small PV images assembled in tests with Iced (docs/paravirt-abi.md section 2): the 48-byte header, the code at
/// load + 48, a data area at load + 0x800 and the hypercall page in the zero-filled part after the loaded bytes.
/// </summary>
internal static class PvTestImage
{
    public const uint Load = 0x0010_0000, Data = Load + 0x800, HypercallPage = Load + 0x1000, BssEnd = Load + 0x2000;

    /// <summary>The data area of a test guest (at <see cref="Data"/>, inside the loaded image).</summary>
    public sealed class DataArea
    {
        public readonly byte[] Content = new byte[0x7D0];

        public uint At(int offset) => Data + (uint)offset;

        public void Word(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Content.AsSpan(offset), value);

        public void Bytes(int offset, byte[] bytes) => bytes.CopyTo(Content, offset);
    }

    /// <summary><c>call hypercall_page + 32 * number</c> with the arguments in EBX, ECX, EDX (and ESI when not 0).</summary>
    public static void Hypercall(Assembler a, int number, uint b = 0, uint c = 0, uint d = 0, uint si = 0)
    {
        a.mov(ebx, b);
        a.mov(ecx, c);
        a.mov(edx, d);
        if (si != 0)
        {
            a.mov(esi, si);
        }

        a.call(HypercallPage + (uint)number * 32);
    }

    /// <summary>-EAX to isa-debug-exit through physdev_op's port write (0 for success).</summary>
    public static void ExitWithResult(Assembler a, DataArea d)
    {
        a.neg(eax);
        a.mov(__dword_ptr[d.At(0x7C4)], eax);
        a.mov(__dword_ptr[d.At(0x7C0)], 0x0004_00F4u); // port 0xF4, size 4
        a.mov(ebx, 0x7F01u);
        a.mov(ecx, d.At(0x7C0));
        a.call(HypercallPage + 33 * 32);
        Label hang = a.CreateLabel();
        a.Label(ref hang);
        a.jmp(hang);
    }

    public static byte[] Build(Action<Assembler, DataArea> code)
    {
        var a = new Assembler(32);
        var d = new DataArea();
        code(a, d);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Load + 48);
        byte[] bytes = stream.ToArray();
        if (bytes.Length >= 0x800 - 48)
        {
            throw new InvalidOperationException("test guest code too large");
        }

        byte[] image = new byte[0x1000];
        bytes.CopyTo(image, 48);
        d.Content.CopyTo(image, 0x800);
        uint[] header = [0x3156_5054, 48, 1, 0, Load, Load + 0x1000, BssEnd, Load + 48, HypercallPage, 0, 0, 0];
        for (int i = 0; i < header.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(i * 4), header[i]);
        }

        FixChecksum(image);
        return image;
    }

    public static void FixChecksum(byte[] image)
    {
        uint sum = 0;
        for (int i = 0; i < 44; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(i));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(44), 0u - sum);
    }
}
