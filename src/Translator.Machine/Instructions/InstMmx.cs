using Iced.Intel;
using IcedRegister = Iced.Intel.Register;
using Translator.Machine.Cpu;
using Translator.Machine.Cpu.X87;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>
/// MMX (SDM Vol. 1 chapter 9), present with <see cref="CpuFeatures.Mmx"/>: eight 64-bit registers that are the x87
/// data registers' significands. Every MMX instruction but EMMS sets TOP to 0 and every tag valid; a write also sets
/// the register's sign and exponent to ones. Checks, in order: #UD with CR0.EM, #NM with CR0.TS, then a pending
/// x87 exception (#MF, or FERR# with CR0.NE = 0). Registered by Iced code (the MMX-register forms only), so the
/// XMM forms of the same mnemonics stay with SSE.
/// </summary>
internal static unsafe class InstMmx
{
    private const uint Cr0Em = 4, Cr0Ts = 8;

    private delegate ulong Packed(ulong a, ulong b);

    private static readonly Dictionary<Mnemonic, Packed> s_operations = new()
    {
        [Mnemonic.Paddb] = (a, b) => Lanes8(a, b, (x, y) => x + y),
        [Mnemonic.Paddw] = (a, b) => Lanes16(a, b, (x, y) => x + y),
        [Mnemonic.Paddd] = (a, b) => Lanes32(a, b, (x, y) => x + y),
        [Mnemonic.Paddsb] = (a, b) => Lanes8(a, b, (x, y) => SaturateSigned((sbyte)x + (sbyte)y, 8)),
        [Mnemonic.Paddsw] = (a, b) => Lanes16(a, b, (x, y) => SaturateSigned((short)x + (short)y, 16)),
        [Mnemonic.Paddusb] = (a, b) => Lanes8(a, b, (x, y) => Math.Min(x + y, 0xFFu)),
        [Mnemonic.Paddusw] = (a, b) => Lanes16(a, b, (x, y) => Math.Min(x + y, 0xFFFFu)),
        [Mnemonic.Psubb] = (a, b) => Lanes8(a, b, (x, y) => x - y),
        [Mnemonic.Psubw] = (a, b) => Lanes16(a, b, (x, y) => x - y),
        [Mnemonic.Psubd] = (a, b) => Lanes32(a, b, (x, y) => x - y),
        [Mnemonic.Psubsb] = (a, b) => Lanes8(a, b, (x, y) => SaturateSigned((sbyte)x - (sbyte)y, 8)),
        [Mnemonic.Psubsw] = (a, b) => Lanes16(a, b, (x, y) => SaturateSigned((short)x - (short)y, 16)),
        [Mnemonic.Psubusb] = (a, b) => Lanes8(a, b, (x, y) => x > y ? x - y : 0),
        [Mnemonic.Psubusw] = (a, b) => Lanes16(a, b, (x, y) => x > y ? x - y : 0),
        [Mnemonic.Pcmpeqb] = (a, b) => Lanes8(a, b, (x, y) => x == y ? 0xFFu : 0),
        [Mnemonic.Pcmpeqw] = (a, b) => Lanes16(a, b, (x, y) => x == y ? 0xFFFFu : 0),
        [Mnemonic.Pcmpeqd] = (a, b) => Lanes32(a, b, (x, y) => x == y ? 0xFFFF_FFFFu : 0),
        [Mnemonic.Pcmpgtb] = (a, b) => Lanes8(a, b, (x, y) => (sbyte)x > (sbyte)y ? 0xFFu : 0),
        [Mnemonic.Pcmpgtw] = (a, b) => Lanes16(a, b, (x, y) => (short)x > (short)y ? 0xFFFFu : 0),
        [Mnemonic.Pcmpgtd] = (a, b) => Lanes32(a, b, (x, y) => (int)x > (int)y ? 0xFFFF_FFFFu : 0),
        [Mnemonic.Pmullw] = (a, b) => Lanes16(a, b, (x, y) => (uint)((short)x * (short)y)),
        [Mnemonic.Pmulhw] = (a, b) => Lanes16(a, b, (x, y) => (uint)(((short)x * (short)y) >> 16)),
        [Mnemonic.Pmaddwd] = MultiplyAdd,
        [Mnemonic.Pand] = (a, b) => a & b,
        [Mnemonic.Pandn] = (a, b) => ~a & b,
        [Mnemonic.Por] = (a, b) => a | b,
        [Mnemonic.Pxor] = (a, b) => a ^ b,
        [Mnemonic.Psllw] = (a, n) => n > 15 ? 0 : Lanes16(a, 0, (x, _) => x << (int)n),
        [Mnemonic.Pslld] = (a, n) => n > 31 ? 0 : Lanes32(a, 0, (x, _) => x << (int)n),
        [Mnemonic.Psllq] = (a, n) => n > 63 ? 0 : a << (int)n,
        [Mnemonic.Psrlw] = (a, n) => n > 15 ? 0 : Lanes16(a, 0, (x, _) => x >> (int)n),
        [Mnemonic.Psrld] = (a, n) => n > 31 ? 0 : Lanes32(a, 0, (x, _) => x >> (int)n),
        [Mnemonic.Psrlq] = (a, n) => n > 63 ? 0 : a >> (int)n,
        [Mnemonic.Psraw] = (a, n) => Lanes16(a, 0, (x, _) => (uint)((short)x >> (int)Math.Min(n, 15))),
        [Mnemonic.Psrad] = (a, n) => Lanes32(a, 0, (x, _) => (uint)((int)x >> (int)Math.Min(n, 31))),
        [Mnemonic.Packsswb] = (a, b) => Pack(a, b, 16, x => (uint)SaturateSigned((short)x, 8) & 0xFF),
        [Mnemonic.Packssdw] = (a, b) => Pack(a, b, 32, x => (uint)SaturateSigned((int)x, 16) & 0xFFFF),
        [Mnemonic.Packuswb] = (a, b) => Pack(a, b, 16, x => (uint)Math.Clamp((int)(short)x, 0, 0xFF)),
        [Mnemonic.Punpcklbw] = (a, b) => Interleave(a, b, 8, high: false),
        [Mnemonic.Punpcklwd] = (a, b) => Interleave(a, b, 16, high: false),
        [Mnemonic.Punpckldq] = (a, b) => Interleave(a, b, 32, high: false),
        [Mnemonic.Punpckhbw] = (a, b) => Interleave(a, b, 8, high: true),
        [Mnemonic.Punpckhwd] = (a, b) => Interleave(a, b, 16, high: true),
        [Mnemonic.Punpckhdq] = (a, b) => Interleave(a, b, 32, high: true),
    };

    public static void Register(InstructionTableBuilder t)
    {
        foreach (Code code in Enum.GetValues<Code>())
        {
            string name = code.ToString();
            bool mmxForm = name.EndsWith("_mm_mmm64", StringComparison.Ordinal) || name.EndsWith("_mm_mmm32", StringComparison.Ordinal)
                || name.EndsWith("_mm_imm8", StringComparison.Ordinal);
            if (mmxForm && s_operations.ContainsKey(code.Mnemonic()))
            {
                t.Add(code, &Operate);
            }
        }

        t.Add(Code.Movd_mm_rm32, &Move);
        t.Add(Code.Movd_rm32_mm, &Move);
        t.Add(Code.Movq_mm_mmm64, &Move);
        t.Add(Code.Movq_mmm64_mm, &Move);
        t.Add(Code.Emms, &Emms);
    }

    /// <summary>The checks every MMX instruction makes first (SDM Vol. 3 table 2-2, "MMX" row).</summary>
    internal static X87Fpu Enter(X86Cpu c, ref DecodedOp op)
    {
        if ((c.Features & CpuFeatures.Mmx) == 0 || (c.Cr0 & Cr0Em) != 0)
        {
            throw c.InvalidOpcode();
        }

        if ((c.Cr0 & Cr0Ts) != 0)
        {
            throw c.Exception(ExceptionVector.DeviceNotAvailable);
        }

        if (c.Fpu.ExceptionPending)
        {
            InstX87.SignalPendingError(c);
        }

        return c.Fpu;
    }

    private static int MmxIndex(IcedRegister r) => r - IcedRegister.MM0;

    /// <summary>The 64-bit source: an MMX register, memory, or an immediate shift count.</summary>
    private static ulong Source(X86Cpu c, X87Fpu f, ref DecodedOp op)
    {
        ref readonly Instruction i = ref op.Instruction;
        return i.Op1Kind switch
        {
            OpKind.Register => f.ReadMmx(MmxIndex(i.Op1Register)),
            OpKind.Memory when i.MemorySize.GetSize() == 4 =>
                c.Mmu.Read32(Operands.EffectiveAddress(c, ref op)), // PUNPCKL* read only the low half
            OpKind.Memory => InstX87.Read64(c, Operands.EffectiveAddress(c, ref op)),
            _ => i.GetImmediate(1) & 0xFF,
        };
    }

    public static void Operate(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        ulong source = Source(c, f, ref op); // may fault: before anything changes
        int destination = MmxIndex(op.Instruction.Op0Register);
        ulong result = s_operations[op.Instruction.Mnemonic](f.ReadMmx(destination), source);
        f.EnterMmx();
        f.WriteMmx(destination, result);
    }

    /// <summary>MOVD (zero-extending into an MMX register, the low half out of one) and MOVQ, in both directions.</summary>
    public static void Move(X86Cpu c, ref DecodedOp op)
    {
        X87Fpu f = Enter(c, ref op);
        ref readonly Instruction i = ref op.Instruction;
        bool toMmx = i.Op0Kind == OpKind.Register && i.Op0Register is >= IcedRegister.MM0 and <= IcedRegister.MM7;
        if (toMmx)
        {
            ulong value = i.Code == Code.Movd_mm_rm32
                ? (i.Op1Kind == OpKind.Memory ? c.Mmu.Read32(Operands.EffectiveAddress(c, ref op)) : c.Reg(i.Op1Register - IcedRegister.EAX))
                : Source(c, f, ref op);
            f.EnterMmx();
            f.WriteMmx(MmxIndex(i.Op0Register), value);
            return;
        }

        ulong data = f.ReadMmx(MmxIndex(i.Op1Register));
        if (i.Op0Kind == OpKind.Memory)
        {
            uint address = Operands.EffectiveAddress(c, ref op);
            if (i.Code == Code.Movd_rm32_mm)
            {
                c.Mmu.Write32(address, (uint)data);
            }
            else
            {
                InstX87.Write64(c, address, data);
            }
        }
        else
        {
            c.Reg(i.Op0Register - IcedRegister.EAX) = (uint)data;
        }

        f.EnterMmx();
    }

    public static void Emms(X86Cpu c, ref DecodedOp op) => Enter(c, ref op).EmptyMmx();

    // ---- lanes -----------------------------------------------------------------------------------------------------

    private static ulong Lanes(ulong a, ulong b, int bits, Func<uint, uint, uint> lane)
    {
        ulong mask = bits == 32 ? 0xFFFF_FFFFul : (1ul << bits) - 1, result = 0;
        for (int shift = 0; shift < 64; shift += bits)
        {
            result |= (lane((uint)((a >> shift) & mask), (uint)((b >> shift) & mask)) & mask) << shift;
        }

        return result;
    }

    private static ulong Lanes8(ulong a, ulong b, Func<uint, uint, uint> lane) => Lanes(a, b, 8, lane);

    private static ulong Lanes16(ulong a, ulong b, Func<uint, uint, uint> lane) => Lanes(a, b, 16, lane);

    private static ulong Lanes32(ulong a, ulong b, Func<uint, uint, uint> lane) => Lanes(a, b, 32, lane);

    private static uint SaturateSigned(int value, int bits)
    {
        int max = (1 << (bits - 1)) - 1;
        return (uint)Math.Clamp(value, -max - 1, max);
    }

    /// <summary>PMADDWD: each dword is the sum of two signed word products (0x8000 squared twice wraps to 0x80000000).</summary>
    private static ulong MultiplyAdd(ulong a, ulong b)
    {
        ulong result = 0;
        for (int dword = 0; dword < 2; dword++)
        {
            int sum = 0;
            for (int word = 0; word < 2; word++)
            {
                int shift = 32 * dword + 16 * word;
                sum = unchecked(sum + (short)(a >> shift) * (short)(b >> shift));
            }

            result |= (ulong)(uint)sum << (32 * dword);
        }

        return result;
    }

    /// <summary>The PACK* instructions: the destination's lanes narrowed into the low half, the source's into the high.</summary>
    private static ulong Pack(ulong a, ulong b, int bits, Func<uint, uint> narrow)
    {
        int lanes = 64 / bits, narrowBits = bits / 2;
        ulong mask = bits == 32 ? 0xFFFF_FFFFul : (1ul << bits) - 1, result = 0;
        for (int n = 0; n < 2 * lanes; n++)
        {
            ulong from = n < lanes ? a : b;
            uint lane = (uint)((from >> (bits * (n % lanes))) & mask);
            result |= (ulong)narrow(lane) << (narrowBits * n);
        }

        return result;
    }

    /// <summary>PUNPCK*: the low (or high) halves' lanes, alternately from the destination and the source.</summary>
    private static ulong Interleave(ulong a, ulong b, int bits, bool high)
    {
        int lanes = 32 / bits;
        ulong mask = bits == 32 ? 0xFFFF_FFFFul : (1ul << bits) - 1, result = 0;
        int start = high ? 32 : 0;
        for (int n = 0; n < lanes; n++)
        {
            result |= ((a >> (start + bits * n)) & mask) << (2 * bits * n);
            result |= ((b >> (start + bits * n)) & mask) << (2 * bits * n + bits);
        }

        return result;
    }
}
