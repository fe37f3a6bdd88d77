using System.Buffers.Binary;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Fuzz;

/// <summary>
/// Wraps a program in a bootable multiboot image: a fixed harness (its own GDT and IDT, optional paging with a
/// read-only and an absent page, the initial registers, flags and data) runs the body, and a dump routine prints to
/// COM1, raw and unmasked: an "F vector error eip cr2" line if an exception ended the body, "R eax ecx edx ebx esp
/// ebp esi edi eflags" and "M" with an FNV-1a hash of each data page. The harness is the same code for every
/// program (its inputs are variables), so addresses in it never move.
/// </summary>
public static class HarnessImage
{
    private const uint Options = GuestLayout.Variables + 0x20;      // bit 0: paging
    private const uint InitialRegisters = GuestLayout.Variables + 0x80; // eax..edi, eflags
    private const uint Gdtr = GuestLayout.Variables + 0x30;
    private const uint Idtr = GuestLayout.Variables + 0x38;

    private static readonly (byte[] Code, uint Dump, uint[] Handlers) Harness = AssembleHarness();

    public static uint DumpAddress => Harness.Dump;

    public static byte[] Build(FuzzProgram program, out uint[] instructionAddresses)
    {
        var image = new byte[GuestLayout.ImageEnd - GuestLayout.LoadAddress];
        Span<byte> span = image;
        WriteHeader(span, (uint)image.Length);
        Harness.Code.CopyTo(span[(int)(GuestLayout.HarnessCode - GuestLayout.LoadAddress)..]);
        Put(span, GuestLayout.Gdt + 8, 0x0000_FFFF); Put(span, GuestLayout.Gdt + 12, 0x00CF_9A00);
        Put(span, GuestLayout.Gdt + 16, 0x0000_FFFF); Put(span, GuestLayout.Gdt + 20, 0x00CF_9200);
        PutWord(span, Gdtr, GuestLayout.GdtLimit); Put(span, Gdtr + 2, GuestLayout.Gdt);
        PutWord(span, Idtr, 32 * 8 - 1); Put(span, Idtr + 2, GuestLayout.Idt);
        for (int v = 0; v < 32; v++)
        {
            uint handler = Harness.Handlers[v], gate = GuestLayout.Idt + (uint)v * 8;
            Put(span, gate, (handler & 0xFFFF) | ((uint)GuestLayout.CodeSelector << 16));
            Put(span, gate + 4, (handler & 0xFFFF_0000) | 0x8E00);
        }

        Put(span, GuestLayout.FaultVector, 0xFFFF_FFFF);
        Put(span, Options, program.Options.Paging ? 1u : 0u);
        for (int r = 0; r < 8; r++)
        {
            Put(span, InitialRegisters + (uint)r * 4, program.Registers[r]);
        }

        Put(span, InitialRegisters + 32, program.Flags);
        "0123456789abcdef"u8.CopyTo(span[(int)(GuestLayout.HexDigits - GuestLayout.LoadAddress)..]);
        program.Data.CopyTo(span[(int)(GuestLayout.InitialData - GuestLayout.LoadAddress)..]);
        Put(span, GuestLayout.PageDirectory, GuestLayout.PageTable | 3);
        for (uint page = 0; page < 1024; page++)
        {
            uint entry = page * 4096 | 3;
            entry = page * 4096 == GuestLayout.ReadOnlyPage ? page * 4096 | 1 : page * 4096 == GuestLayout.AbsentPage ? 0 : entry;
            Put(span, GuestLayout.PageTable + page * 4, entry);
        }

        List<Instruction> body = program.FlatBody(DumpAddress);
        var writer = new ByteWriter();
        if (!BlockEncoder.TryEncode(32, new InstructionBlock(writer, body, GuestLayout.Body), out string? error, out BlockEncoderResult result, BlockEncoderOptions.ReturnNewInstructionOffsets))
        {
            throw new InvalidOperationException($"seed {program.Seed}: {error}");
        }

        byte[] code = writer.ToArray();
        if (GuestLayout.Body + code.Length > GuestLayout.BodyLimit)
        {
            throw new InvalidOperationException($"seed {program.Seed}: body of {code.Length} bytes is too long");
        }

        code.CopyTo(span[(int)(GuestLayout.Body - GuestLayout.LoadAddress)..]);
        instructionAddresses = result.NewInstructionOffsets.Select(o => GuestLayout.Body + o).ToArray();
        return image;
    }

    private static void WriteHeader(Span<byte> h, uint length)
    {
        const uint magic = 0x1BAD_B002, flags = 1u << 16;
        Put(h, GuestLayout.LoadAddress, magic);
        Put(h, GuestLayout.LoadAddress + 4, flags);
        Put(h, GuestLayout.LoadAddress + 8, unchecked(0u - magic - flags));
        Put(h, GuestLayout.LoadAddress + 12, GuestLayout.LoadAddress);
        Put(h, GuestLayout.LoadAddress + 16, GuestLayout.LoadAddress);
        Put(h, GuestLayout.LoadAddress + 20, GuestLayout.LoadAddress + length);
        Put(h, GuestLayout.LoadAddress + 24, GuestLayout.LoadAddress + length);
        Put(h, GuestLayout.LoadAddress + 28, GuestLayout.HarnessCode);
    }

    private static void Put(Span<byte> image, uint address, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(image[(int)(address - GuestLayout.LoadAddress)..], value);

    private static void PutWord(Span<byte> image, uint address, ushort value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(image[(int)(address - GuestLayout.LoadAddress)..], value);

    private static (byte[], uint, uint[]) AssembleHarness()
    {
        var a = new Assembler(32);
        Label dump = a.CreateLabel(), common = a.CreateLabel(), printHex = a.CreateLabel(), noPaging = a.CreateLabel();
        a.cli();
        a.lgdt(__[Gdtr]);
        a.mov(ax, GuestLayout.DataSelector);
        a.mov(ds, ax); a.mov(es, ax); a.mov(fs, ax); a.mov(gs, ax); a.mov(ss, ax);
        a.lidt(__[Idtr]);
        a.mov(esp, GuestLayout.DumpStackTop);
        a.cld();
        a.mov(esi, GuestLayout.InitialData); a.mov(edi, GuestLayout.DataStart);
        a.mov(ecx, (GuestLayout.DataEnd - GuestLayout.DataStart) / 4);
        a.rep.movsd();
        a.test(__dword_ptr[Options], 1);
        a.jz(noPaging);
        a.mov(eax, GuestLayout.PageDirectory); a.mov(cr3, eax);
        a.mov(eax, cr0); a.or(eax, unchecked((int)0x8001_0000)); a.mov(cr0, eax);
        a.Label(ref noPaging);
        a.push(__dword_ptr[InitialRegisters + 32]); a.popfd();
        AssemblerRegister32[] registers = [eax, ecx, edx, ebx, esp, ebp, esi, edi];
        for (int r = 0; r < 8; r++)
        {
            if (r != 4) a.mov(registers[r], __dword_ptr[InitialRegisters + (uint)r * 4]);
        }

        a.mov(esp, GuestLayout.ProgramStackTop);
        a.jmp(GuestLayout.Body);

        var handlers = new Label[32];
        for (int v = 0; v < 32; v++)
        {
            handlers[v] = a.CreateLabel();
            a.Label(ref handlers[v]);
            a.mov(__dword_ptr[GuestLayout.FaultVector], v);
            if (v is 8 or 10 or 11 or 12 or 13 or 14 or 17) a.pop(__dword_ptr[GuestLayout.FaultError]);
            a.jmp(common);
        }

        a.Label(ref common);
        a.pop(__dword_ptr[GuestLayout.FaultEip]);
        a.lea(esp, __[esp + 4]); // CS
        a.popfd();               // the flags as the faulting instruction saw them

        a.Label(ref dump);
        for (int r = 0; r < 8; r++)
        {
            a.mov(__dword_ptr[GuestLayout.SavedRegisters + (uint)r * 4], registers[r]);
        }

        a.mov(esp, GuestLayout.DumpStackTop);
        a.pushfd(); a.pop(__dword_ptr[GuestLayout.SavedRegisters + 32]);
        a.cld();
        a.mov(eax, cr2); a.mov(__dword_ptr[GuestLayout.FaultCr2], eax);
        a.mov(eax, cr0); a.and(eax, 0x7FFF_FFFF); a.mov(cr0, eax);
        Label noFault = a.CreateLabel();
        a.cmp(__dword_ptr[GuestLayout.FaultVector], -1);
        a.je(noFault);
        Char(a, 'F');
        foreach (uint at in new[] { GuestLayout.FaultVector, GuestLayout.FaultError, GuestLayout.FaultEip, GuestLayout.FaultCr2 })
        {
            a.mov(eax, __dword_ptr[at]); a.call(printHex);
        }

        Char(a, '\n');
        a.Label(ref noFault);
        Char(a, 'R');
        for (int r = 0; r < 9; r++)
        {
            a.mov(eax, __dword_ptr[GuestLayout.SavedRegisters + (uint)r * 4]); a.call(printHex);
        }

        Char(a, '\n');
        Char(a, 'M');
        for (uint page = GuestLayout.DataStart; page < GuestLayout.DataEnd; page += 0x1000)
        {
            Label loop = a.CreateLabel();
            a.mov(esi, page); a.mov(eax, 0x811C_9DC5);
            a.Label(ref loop);
            a.xor(eax, __dword_ptr[esi]); a.imul(eax, eax, 0x0100_0193);
            a.add(esi, 4); a.cmp(esi, page + 0x1000); a.jb(loop);
            a.call(printHex);
        }

        Char(a, '\n');
        a.mov(eax, 0); a.@out(0xF4, eax);
        Label halt = a.CreateLabel();
        a.Label(ref halt); a.hlt(); a.jmp(halt);

        a.Label(ref printHex); // prints " %08x" of EAX
        a.push(eax);
        Char(a, ' ');
        a.pop(eax);
        a.mov(ecx, 8);
        Label digit = a.CreateLabel();
        a.Label(ref digit);
        a.rol(eax, 4); a.mov(ebx, eax); a.and(ebx, 0xF); a.push(eax);
        a.mov(al, __byte_ptr[ebx + GuestLayout.HexDigits]); a.mov(dx, 0x3F8); a.@out(dx, al);
        a.pop(eax); a.dec(ecx); a.jnz(digit);
        a.ret();

        using var stream = new MemoryStream();
        AssemblerResult result = a.Assemble(new StreamCodeWriter(stream), GuestLayout.HarnessCode, BlockEncoderOptions.ReturnNewInstructionOffsets);
        byte[] code = stream.ToArray();
        if (GuestLayout.HarnessCode + code.Length > GuestLayout.Gdt)
        {
            throw new InvalidOperationException("the harness outgrew its space");
        }

        return (code, (uint)result.GetLabelRIP(dump), handlers.Select(h => (uint)result.GetLabelRIP(h)).ToArray());
    }

    private static void Char(Assembler a, char c)
    {
        a.mov(al, (byte)c); a.mov(dx, 0x3F8); a.@out(dx, al);
    }

    internal sealed class ByteWriter : CodeWriter
    {
        private readonly List<byte> _bytes = [];

        public override void WriteByte(byte value) => _bytes.Add(value);

        public byte[] ToArray() => [.. _bytes];
    }
}
