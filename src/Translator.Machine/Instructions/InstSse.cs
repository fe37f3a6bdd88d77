using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Iced.Intel;
using Reg = Iced.Intel.Register;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>
/// The SSE/SSE2 unit (docs/sse.md): registration, the exception rules every instruction checks before it touches
/// memory, and XMM/memory operand access. The instructions themselves are in the other InstSse files.
/// </summary>
internal static unsafe partial class InstSse
{
    private const uint Cr0Em = 4, Cr0Ts = 8;

    /// <summary>The unit each registered code needs (CPUID's bit); the others are <see cref="CpuFeatures.None"/>.</summary>
    private static readonly CpuFeatures[] s_requires = new CpuFeatures[Enum.GetValues<Code>().Length];

    /// <summary>
    /// Registers every legacy-encoded SSE/SSE2 form whose operands are XMM registers, general registers or memory
    /// (the MMX-register forms are InstSse.Mmx's) and whose mnemonic this unit implements; a form by
    /// <see cref="Code"/>, since MOVSD and CMPSD share their mnemonics with string instructions.
    /// </summary>
    public static void Register(InstructionTableBuilder t)
    {
        var handlers = new Dictionary<Mnemonic, nint>();
        RegisterMoves(handlers);
        RegisterInteger(handlers);
        RegisterFloat(handlers);
        foreach (Code code in Enum.GetValues<Code>())
        {
            CpuFeatures unit = UnitOf(code);
            if (unit != CpuFeatures.None && handlers.TryGetValue(code.Mnemonic(), out nint handler) && !HasMmxOperand(code))
            {
                s_requires[(int)code] = unit;
                t.Add(code, (delegate*<X86Cpu, ref DecodedOp, void>)handler);
            }
        }

        RegisterMmxForms(t);
    }

    private static CpuFeatures UnitOf(Code code)
    {
        OpCodeInfo info = code.ToOpCode();
        if (info.Encoding != EncodingKind.Legacy || code == Code.INVALID)
        {
            return CpuFeatures.None;
        }

        foreach (CpuidFeature feature in code.CpuidFeatures())
        {
            switch (feature)
            {
                case CpuidFeature.SSE:
                    return CpuFeatures.Sse;
                case CpuidFeature.SSE2:
                case CpuidFeature.CLFSH: // CLFLUSH comes with SSE2 here (CPUID.01H:EDX.CLFSH with it)
                    return CpuFeatures.Sse2;
            }
        }

        return CpuFeatures.None;
    }

    private static bool HasMmxOperand(Code code)
    {
        OpCodeInfo info = code.ToOpCode();
        for (int n = 0; n < info.OpCount; n++)
        {
            if (info.GetOpKind(n) is OpCodeOperandKind.mm_reg or OpCodeOperandKind.mm_rm or OpCodeOperandKind.mm_or_mem)
            {
                return true;
            }
        }

        return false;
    }

    // ---- exception rules (docs/sse.md, SDM Vol. 3 table 2-2) --------------------------------------------------

    /// <summary>
    /// An instruction on the SSE state: #UD without its unit, with CR0.EM or without CR4.OSFXSR; #NM with CR0.TS.
    /// Checked before any memory access.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Enter(X86Cpu c, ref DecodedOp op)
    {
        if ((c.Features & s_requires[(int)op.Instruction.Code]) == 0 || (c.Cr0 & Cr0Em) != 0 || (c.Cr4 & X86Cpu.Cr4OsFxsr) == 0)
        {
            throw c.InvalidOpcode();
        }

        if ((c.Cr0 & Cr0Ts) != 0)
        {
            throw c.Exception(ExceptionVector.DeviceNotAvailable);
        }
    }

    /// <summary>An instruction of the unit that does not touch its state (MOVNTI, fences, PREFETCHh, CLFLUSH): #UD without the unit only.</summary>
    private static void EnterWithoutState(X86Cpu c, ref DecodedOp op)
    {
        if ((c.Features & s_requires[(int)op.Instruction.Code]) == 0)
        {
            throw c.InvalidOpcode();
        }
    }

    // ---- operands ---------------------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int XmmOf(ref DecodedOp op, int n) => op.Instruction.GetOpRegister(n) - Reg.XMM0;

    private static bool IsMemory(ref DecodedOp op, int n) => op.Instruction.GetOpKind(n) == OpKind.Memory;

    /// <summary>The 128-bit forms that allow any alignment; every other legacy m128 operand must be 16-byte aligned.</summary>
    private static bool AllowsMisalignment(Mnemonic mnemonic) => mnemonic is Mnemonic.Movups or Mnemonic.Movupd or Mnemonic.Movdqu;

    /// <summary>The effective address of a 16-byte operand: #GP(0) when misaligned for an aligned form.</summary>
    private static uint Address128(X86Cpu c, ref DecodedOp op)
    {
        uint address = Operands.EffectiveAddress(c, ref op);
        if ((address & 15) != 0 && !AllowsMisalignment(op.Instruction.Mnemonic))
        {
            throw c.GeneralProtection();
        }

        return address;
    }

    /// <summary>
    /// Reads 16 bytes as four 4-byte accesses, lowest address first: the width a device page (pc-testdev's) takes,
    /// and the order hardware's emulators split it in.
    /// </summary>
    private static UInt128 Read128(X86Cpu c, uint address)
    {
        uint a = c.Mmu.Read32(address), b = c.Mmu.Read32(address + 4), d = c.Mmu.Read32(address + 8), e = c.Mmu.Read32(address + 12);
        return new UInt128(((ulong)e << 32) | d, ((ulong)b << 32) | a);
    }

    private static ulong Read64(X86Cpu c, uint address) => c.Mmu.Read32(address) | ((ulong)c.Mmu.Read32(address + 4) << 32);

    /// <summary>
    /// Both pages are checked before anything is written, so a #PF leaves memory unchanged; a fault on the second
    /// page reports that page's first byte in CR2, as hardware does for a split access.
    /// </summary>
    private static void ProbeWrite(X86Cpu c, uint address, int size)
    {
        c.Mmu.Translate(address, write: true, c.Mmu.State.User);
        if (((address & 0xFFF) + (uint)size) > 0x1000)
        {
            c.Mmu.Translate((address | 0xFFF) + 1, write: true, c.Mmu.State.User);
        }
    }

    private static void Write128(X86Cpu c, uint address, UInt128 value)
    {
        ProbeWrite(c, address, 16);
        ulong low = (ulong)value, high = (ulong)(value >> 64);
        c.Mmu.Write32(address, (uint)low);
        c.Mmu.Write32(address + 4, (uint)(low >> 32));
        c.Mmu.Write32(address + 8, (uint)high);
        c.Mmu.Write32(address + 12, (uint)(high >> 32));
    }

    private static void Write64(X86Cpu c, uint address, ulong value)
    {
        ProbeWrite(c, address, 8);
        c.Mmu.Write32(address, (uint)value);
        c.Mmu.Write32(address + 4, (uint)(value >> 32));
    }

    /// <summary>Operand <paramref name="n"/> as 128 bits: an XMM register or an m128 (checked for alignment).</summary>
    private static UInt128 Source128(X86Cpu c, ref DecodedOp op, int n) =>
        IsMemory(ref op, n) ? Read128(c, Address128(c, ref op)) : c.Xmm[XmmOf(ref op, n)];

    /// <summary>Operand <paramref name="n"/>'s low 64 bits: an XMM register or an m64.</summary>
    private static ulong Source64(X86Cpu c, ref DecodedOp op, int n) =>
        IsMemory(ref op, n) ? Read64(c, Operands.EffectiveAddress(c, ref op)) : (ulong)c.Xmm[XmmOf(ref op, n)];

    /// <summary>Operand <paramref name="n"/>'s low 32 bits: an XMM register, a general register or an m32.</summary>
    private static uint Source32(X86Cpu c, ref DecodedOp op, int n)
    {
        if (IsMemory(ref op, n))
        {
            return c.Mmu.Read32(Operands.EffectiveAddress(c, ref op));
        }

        Reg register = op.Instruction.GetOpRegister(n);
        return register.IsXMM() ? (uint)c.Xmm[register - Reg.XMM0] : c.Reg(register - Reg.EAX);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<T> Lanes<T>(ref UInt128 value) where T : struct =>
        MemoryMarshal.Cast<UInt128, T>(MemoryMarshal.CreateSpan(ref value, 1));
}
