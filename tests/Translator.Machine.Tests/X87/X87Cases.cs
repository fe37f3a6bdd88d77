namespace Translator.Machine.Tests.X87;

/// <summary>What an instruction's [eax] operand holds, so the generator fills it with that format's edge values.</summary>
public enum X87Operand
{
    None,
    Single,
    Double,
    Extended,
    Int16,
    Int32,
    Int64,
    Bcd,
    Mmx,
}

public sealed record X87Op(string Name, byte[] Bytes, X87Operand Operand = X87Operand.None, bool Flags = false);

/// <summary>The instructions compared with the host CPU and the edge operands they run on.</summary>
internal static class X87Cases
{
    private static X87Op Op(string name, X87Operand operand, params byte[] bytes) => new(name, bytes, operand);

    private static X87Op Op(string name, params byte[] bytes) => new(name, bytes);

    public static readonly X87Op[] Arithmetic =
    [
        Op("fadd st0,st1", 0xD8, 0xC1), Op("fsub st0,st1", 0xD8, 0xE1), Op("fsubr st0,st1", 0xD8, 0xE9),
        Op("fmul st0,st1", 0xD8, 0xC9), Op("fdiv st0,st1", 0xD8, 0xF1), Op("fdivr st0,st1", 0xD8, 0xF9),
        Op("fadd st1,st0", 0xDC, 0xC1), Op("fsub st1,st0", 0xDC, 0xE9), Op("fdivr st1,st0", 0xDC, 0xF1),
        Op("faddp", 0xDE, 0xC1), Op("fsubp", 0xDE, 0xE9), Op("fsubrp", 0xDE, 0xE1), Op("fmulp", 0xDE, 0xC9),
        Op("fdivp", 0xDE, 0xF9), Op("fdivrp", 0xDE, 0xF1),
        Op("fadd m32", X87Operand.Single, 0xD8, 0x00), Op("fsub m32", X87Operand.Single, 0xD8, 0x20),
        Op("fmul m32", X87Operand.Single, 0xD8, 0x08), Op("fdivr m32", X87Operand.Single, 0xD8, 0x38),
        Op("fadd m64", X87Operand.Double, 0xDC, 0x00), Op("fsubr m64", X87Operand.Double, 0xDC, 0x28),
        Op("fmul m64", X87Operand.Double, 0xDC, 0x08), Op("fdiv m64", X87Operand.Double, 0xDC, 0x30),
        Op("fiadd m16", X87Operand.Int16, 0xDE, 0x00), Op("fisub m32", X87Operand.Int32, 0xDA, 0x20),
        Op("fimul m32", X87Operand.Int32, 0xDA, 0x08), Op("fidiv m16", X87Operand.Int16, 0xDE, 0x30),
        Op("fidivr m32", X87Operand.Int32, 0xDA, 0x38),
        Op("fscale", 0xD9, 0xFD), Op("fprem", 0xD9, 0xF8), Op("fprem1", 0xD9, 0xF5),
    ];

    public static readonly X87Op[] Transfers =
    [
        Op("fld m32", X87Operand.Single, 0xD9, 0x00), Op("fld m64", X87Operand.Double, 0xDD, 0x00),
        Op("fld m80", X87Operand.Extended, 0xDB, 0x28), Op("fild m16", X87Operand.Int16, 0xDF, 0x00),
        Op("fild m32", X87Operand.Int32, 0xDB, 0x00), Op("fild m64", X87Operand.Int64, 0xDF, 0x28),
        Op("fbld", X87Operand.Bcd, 0xDF, 0x20),
        Op("fst m32", 0xD9, 0x10), Op("fstp m32", 0xD9, 0x18), Op("fst m64", 0xDD, 0x10), Op("fstp m64", 0xDD, 0x18),
        Op("fstp m80", 0xDB, 0x38), Op("fist m16", 0xDF, 0x10), Op("fist m32", 0xDB, 0x10), Op("fistp m64", 0xDF, 0x38),
        Op("fistp m16", 0xDF, 0x18), Op("fbstp", 0xDF, 0x30),
        Op("fst st3", 0xDD, 0xD3), Op("fstp st1", 0xDD, 0xD9), Op("fld st1", 0xD9, 0xC1), Op("fld st5", 0xD9, 0xC5),
        Op("fxch", 0xD9, 0xC9), Op("fxch st4", 0xD9, 0xCC), Op("ffree st1", 0xDD, 0xC1),
        Op("fincstp", 0xD9, 0xF7), Op("fdecstp", 0xD9, 0xF6),
        Op("fld1", 0xD9, 0xE8), Op("fldz", 0xD9, 0xEE), Op("fldpi", 0xD9, 0xEB), Op("fldl2e", 0xD9, 0xEA),
        Op("fldl2t", 0xD9, 0xE9), Op("fldlg2", 0xD9, 0xEC), Op("fldln2", 0xD9, 0xED),
        Op("fnclex", 0xDB, 0xE2), Op("fnstsw ax; mov [eax-0x30+0x40],ax", 0xDF, 0xE0, 0x66, 0x89, 0x47, 0x40),
        Op("fnstcw m16", 0xD9, 0x38), Op("fldcw m16 (pc/rc)", X87Operand.Int16, 0xD9, 0x28, 0xD8, 0xC1),
    ];

    public static readonly X87Op[] Comparisons =
    [
        Op("fcom st1", 0xD8, 0xD1), Op("fcomp st1", 0xD8, 0xD9), Op("fcompp", 0xDE, 0xD9), Op("fucom st1", 0xDD, 0xE1),
        Op("fucomp st1", 0xDD, 0xE9), Op("fucompp", 0xDA, 0xE9), Op("fcom m32", X87Operand.Single, 0xD8, 0x10),
        Op("fcomp m64", X87Operand.Double, 0xDC, 0x18), Op("ficom m16", X87Operand.Int16, 0xDE, 0x10),
        Op("ficomp m32", X87Operand.Int32, 0xDA, 0x18), Op("ftst", 0xD9, 0xE4), Op("fxam", 0xD9, 0xE5),
        Op("fxam st2 (empty)", 0xD9, 0xF7, 0xD9, 0xF7, 0xD9, 0xE5),
        new("fcomi", [0xDB, 0xF1], Flags: true), new("fcomip", [0xDF, 0xF1], Flags: true),
        new("fucomi", [0xDB, 0xE9], Flags: true), new("fucomip", [0xDF, 0xE9], Flags: true),
        new("fcmovb", [0xF9, 0xDA, 0xC1]), new("xor ecx,ecx; fcmovnbe", [0x31, 0xC9, 0xDB, 0xD1]), new("fcmove after xor", [0x31, 0xC9, 0xDA, 0xC9]), new("xor ecx,ecx; fcmovu", [0x31, 0xC9, 0xDA, 0xD9]),
    ];

    public static readonly X87Op[] OneOperand =
    [
        Op("fsqrt", 0xD9, 0xFA), Op("frndint", 0xD9, 0xFC), Op("fxtract", 0xD9, 0xF4), Op("fchs", 0xD9, 0xE0),
        Op("fabs", 0xD9, 0xE1), Op("fsqrt st1", 0xD9, 0xC9, 0xD9, 0xFA),
    ];

    public static readonly X87Op[] Mmx =
    [
        Mmx2("paddb", 0xFC), Mmx2("paddw", 0xFD), Mmx2("paddd", 0xFE), Mmx2("paddsb", 0xEC), Mmx2("paddsw", 0xED),
        Mmx2("paddusb", 0xDC), Mmx2("paddusw", 0xDD), Mmx2("psubb", 0xF8), Mmx2("psubw", 0xF9), Mmx2("psubd", 0xFA),
        Mmx2("psubsb", 0xE8), Mmx2("psubsw", 0xE9), Mmx2("psubusb", 0xD8), Mmx2("psubusw", 0xD9),
        Mmx2("pcmpeqb", 0x74), Mmx2("pcmpeqw", 0x75), Mmx2("pcmpeqd", 0x76), Mmx2("pcmpgtb", 0x64), Mmx2("pcmpgtw", 0x65),
        Mmx2("pcmpgtd", 0x66), Mmx2("pmullw", 0xD5), Mmx2("pmulhw", 0xE5), Mmx2("pmaddwd", 0xF5), Mmx2("pand", 0xDB),
        Mmx2("pandn", 0xDF), Mmx2("por", 0xEB), Mmx2("pxor", 0xEF), Mmx2("psllw", 0xF1), Mmx2("pslld", 0xF2),
        Mmx2("psllq", 0xF3), Mmx2("psrlw", 0xD1), Mmx2("psrld", 0xD2), Mmx2("psrlq", 0xD3), Mmx2("psraw", 0xE1),
        Mmx2("psrad", 0xE2), Mmx2("packsswb", 0x63), Mmx2("packssdw", 0x6B), Mmx2("packuswb", 0x67),
        Mmx2("punpcklbw", 0x60), Mmx2("punpcklwd", 0x61), Mmx2("punpckldq", 0x62), Mmx2("punpckhbw", 0x68),
        Mmx2("punpckhwd", 0x69), Mmx2("punpckhdq", 0x6A),
        MmxShift("psllw imm", 0x71, 6, 3), MmxShift("psraw imm", 0x71, 4, 15), MmxShift("psrlw imm", 0x71, 2, 16),
        MmxShift("pslld imm", 0x72, 6, 31), MmxShift("psrad imm", 0x72, 4, 40), MmxShift("psrld imm", 0x72, 2, 7),
        MmxShift("psllq imm", 0x73, 6, 63), MmxShift("psrlq imm", 0x73, 2, 64), MmxShift("psraw imm 255", 0x71, 4, 255),
        // movd in both directions, register-to-register movq, paddq-free logic through mm3, then EMMS.
        new("movd mm2,[eax]; movd [eax+0x14],mm2; movq mm3,mm2; movq [eax+0x18],mm3", [0x0F, 0x6E, 0x10, 0x0F, 0x7E, 0x50, 0x14, 0x0F, 0x6F, 0xDA, 0x0F, 0x7F, 0x58, 0x18], X87Operand.Mmx),
        new("movd mm1,ecx; movd edx,mm1; emms", [0x8B, 0x08, 0x0F, 0x6E, 0xC9, 0x0F, 0x7E, 0xCA, 0x89, 0x50, 0x1C, 0x0F, 0x77], X87Operand.Mmx),
        new("paddw mm0,mm1 (registers)", [0x0F, 0x6F, 0x00, 0x0F, 0x6F, 0x48, 0x08, 0x0F, 0xFD, 0xC1, 0x0F, 0x7F, 0x40, 0x10], X87Operand.Mmx),
    ];

    /// <summary>movq mm0,[eax]; OP mm0,[eax+8]; movq [eax+16],mm0.</summary>
    private static X87Op Mmx2(string name, byte opcode) =>
        new(name, [0x0F, 0x6F, 0x00, 0x0F, opcode, 0x40, 0x08, 0x0F, 0x7F, 0x40, 0x10], X87Operand.Mmx);

    /// <summary>movq mm0,[eax]; OP mm0,count; movq [eax+16],mm0.</summary>
    private static X87Op MmxShift(string name, byte opcode, int group, int count) =>
        new(name, [0x0F, 0x6F, 0x00, 0x0F, opcode, (byte)(0xC0 | (group << 3)), (byte)count, 0x0F, 0x7F, 0x40, 0x10], X87Operand.Mmx);

    // ---- operands --------------------------------------------------------------------------------------------------

    internal static readonly (ushort SignExponent, ulong Significand)[] ExtendedEdges =
    [
        (0x0000, 0), (0x8000, 0), (0x3FFF, 0x8000_0000_0000_0000), (0xBFFF, 0x8000_0000_0000_0000),
        (0x3FFF, 0xC000_0000_0000_0000), (0x4000, 0x8000_0000_0000_0000), (0x4000, 0xC000_0000_0000_0000),
        (0x4002, 0xA000_0000_0000_0000), (0x3FFD, 0xAAAA_AAAA_AAAA_AAAB), (0x4000, 0xC90F_DAA2_2168_C235),
        (0x7FFE, 0xFFFF_FFFF_FFFF_FFFF), (0xFFFE, 0xFFFF_FFFF_FFFF_FFFF), (0x0001, 0x8000_0000_0000_0000),
        (0x8001, 0x8000_0000_0000_0000), (0x0000, 0x0000_0000_0000_0001), (0x0000, 0x4000_0000_0000_0000),
        (0x8000, 0x7FFF_FFFF_FFFF_FFFF), (0x0000, 0x8000_0000_0000_0001), (0x7FFF, 0x8000_0000_0000_0000),
        (0xFFFF, 0x8000_0000_0000_0000), (0x7FFF, 0xC000_0000_0000_0001), (0xFFFF, 0xC000_0000_0000_0000),
        (0x7FFF, 0xA000_0000_0000_0000), (0xFFFF, 0x8000_0000_0000_0001), (0x3FFF, 0x4000_0000_0000_0000),
        (0x7FFF, 0x4000_0000_0000_0000), (0x3FFF, 0x8000_0080_0000_0000), (0x3FFF, 0x8000_0000_0000_0400),
        (0x3FFF, 0x8000_0000_0000_0001), (0x3FFF, 0xFFFF_FFFF_FFFF_FFFF), (0x3FFF, 0x8000_0180_0000_0000),
        (0x3FFF, 0x8000_0000_0000_0C00), (0x7FFD, 0xC000_0000_0000_0000), (0x0002, 0x8000_0000_0000_0000),
        (0x0001, 0xC000_0000_0000_0001), (0x403D, 0x8000_0000_0000_0000), (0x403E, 0x8000_0000_0000_0000),
        (0xC03E, 0x8000_0000_0000_0000), (0x401D, 0xFFFF_FFFF_0000_0000), (0x400E, 0x8000_0000_0000_0000),
        (0xC00E, 0x8000_0000_0000_0000), (0x4039, 0xDE0B_6B3A_763F_FFFF), (0x3FFE, 0x8000_0000_0000_0000),
        (0xBFFE, 0xC000_0000_0000_0000), (0x4043, 0x8000_0000_0000_0000), (0x4100, 0x8000_0000_0000_0001),
        (0x3F7F, 0x8000_0000_0000_0000), (0x3C00, 0x8000_0000_0000_0000), (0x43FE, 0x8000_0000_0000_0000),
        (0x400C, 0x8000_0000_0000_0000), (0x4010, 0x8000_0000_0000_0000), (0xC010, 0xFFFF_0000_0000_0000),
        (0x3FFF, 0x8000_0000_0000_0000 | 0x0000_0100_0000_0000),
    ];

    private static readonly uint[] s_single =
    [
        0, 0x8000_0000, 0x3F80_0000, 0xBF80_0000, 0x7F7F_FFFF, 0x0080_0000, 0x0000_0001, 0x007F_FFFF, 0x7F80_0000,
        0xFF80_0000, 0x7FC0_0000, 0x7FA0_0001, 0xFFC0_0001, 0x4049_0FDB, 0x3EAA_AAAB, 0x4B80_0001,
    ];

    private static readonly ulong[] s_double =
    [
        0, 0x8000_0000_0000_0000, 0x3FF0_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000, 1,
        0x000F_FFFF_FFFF_FFFF, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x7FF8_0000_0000_0000,
        0x7FF4_0000_0000_0001, 0xFFF8_0000_0000_0001, 0x4009_21FB_5444_2D18, 0x3FD5_5555_5555_5555, 0x4330_0000_0000_0001,
    ];

    private static readonly long[] s_integers =
    [
        0, 1, -1, 3, 7, short.MaxValue, short.MinValue, int.MaxValue, int.MinValue, long.MaxValue, long.MinValue, 1000, -99999,
    ];

    internal static readonly ushort[] Controls = BuildControls();

    private static ushort[] BuildControls()
    {
        var controls = new List<ushort>();
        foreach (int rc in new[] { 0, 1, 2, 3 })
        {
            foreach (int pc in new[] { 0, 2, 3 })
            {
                foreach (int masks in new[] { 0x3F, 0x00, 0x3E, 0x1F, 0x2F, 0x37, 0x3B, 0x3D })
                {
                    controls.Add((ushort)(0x40 | masks | pc << 8 | rc << 10));
                }
            }
        }

        return [.. controls];
    }

    private static (ushort, ulong) Extended(Random r)
    {
        int pick = r.Next(10);
        if (pick < 6)
        {
            return ExtendedEdges[r.Next(ExtendedEdges.Length)];
        }

        ulong significand = (ulong)r.NextInt64() | (pick < 9 ? 1ul << 63 : 0);
        int exponent = pick == 8 ? r.Next(0x8000) : 0x3FFF + r.Next(-70, 70);
        return ((ushort)(exponent | (r.Next(2) << 15)), significand);
    }

    public static byte[] Context(Random r, X87Op op)
    {
        var context = new byte[192];
        BitConverter.TryWriteBytes(context.AsSpan(0), Controls[r.Next(Controls.Length)]);
        for (int slot = 16; slot <= 32; slot += 16)
        {
            (ushort se, ulong m) = Extended(r);
            BitConverter.TryWriteBytes(context.AsSpan(slot), m);
            BitConverter.TryWriteBytes(context.AsSpan(slot + 8), se);
        }

        Span<byte> memory = context.AsSpan(48, 32);
        r.NextBytes(memory);
        long integer = r.Next(3) == 0 ? r.NextInt64() >> r.Next(64) : s_integers[r.Next(s_integers.Length)];
        switch (op.Operand)
        {
            case X87Operand.Single: BitConverter.TryWriteBytes(memory, r.Next(4) == 0 ? (uint)r.Next() : s_single[r.Next(s_single.Length)]); break;
            case X87Operand.Double: BitConverter.TryWriteBytes(memory, r.Next(4) == 0 ? (ulong)r.NextInt64() : s_double[r.Next(s_double.Length)]); break;
            case X87Operand.Extended:
                (ushort se, ulong m) = Extended(r);
                BitConverter.TryWriteBytes(memory, m);
                BitConverter.TryWriteBytes(memory[8..], se);
                break;
            case X87Operand.Int16: BitConverter.TryWriteBytes(memory, (short)integer); break;
            case X87Operand.Int32: BitConverter.TryWriteBytes(memory, (int)integer); break;
            case X87Operand.Int64: BitConverter.TryWriteBytes(memory, integer); break;
            case X87Operand.Bcd:
                for (int i = 0; i < 9; i++)
                {
                    memory[i] = (byte)(r.Next(10) | r.Next(10) << 4);
                }

                memory[9] = (byte)(r.Next(2) << 7);
                break;
            case X87Operand.Mmx:
                if (r.Next(3) == 0)
                {
                    memory[8] = (byte)r.Next(70); // a small shift count, most often in range
                    memory[9..16].Clear();
                }

                break;
        }

        return context;
    }

    /// <summary>The first difference in what both CPUs must agree on, or null.</summary>
    public static string? Difference(X87Op op, byte[] host, byte[] mine)
    {
        (string Name, int Offset, int Length)[] fields =
        [
            ("FCW", 80, 2), ("FSW", 84, 2), ("FTW", 88, 2), ("memory", 48, 32),
            ("ST0", 108, 10), ("ST1", 118, 10), ("ST2", 128, 10), ("ST3", 138, 10), ("ST4", 148, 10), ("ST5", 158, 10),
            ("ST6", 168, 10), ("ST7", 178, 10),
        ];
        foreach ((string name, int offset, int length) in fields)
        {
            if (!host.AsSpan(offset, length).SequenceEqual(mine.AsSpan(offset, length)))
            {
                return $"{name} host {Hex(host, offset, length)} emulated {Hex(mine, offset, length)} (FSW host {Hex(host, 84, 2)} emulated {Hex(mine, 84, 2)}, ST0 host {Hex(host, 108, 10)} emulated {Hex(mine, 108, 10)}, memory {Hex(host, 48, 10)})";
            }
        }

        const int StatusFlags = 0x8D5;
        int hostFlags = BitConverter.ToUInt16(host, 8) & StatusFlags, myFlags = BitConverter.ToUInt16(mine, 8) & StatusFlags;
        return op.Flags && hostFlags != myFlags ? $"EFLAGS host {hostFlags:X3} emulated {myFlags:X3}" : null;
    }

    /// <summary>A little-endian field as one big-endian hex number (as the SDM writes values).</summary>
    private static string Hex(byte[] bytes, int offset, int length)
    {
        byte[] field = bytes.AsSpan(offset, length).ToArray();
        Array.Reverse(field);
        return Convert.ToHexString(field);
    }
}
