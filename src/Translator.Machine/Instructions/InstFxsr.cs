using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Cpu.X87;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>
/// FXSAVE and FXRSTOR (CPUID.01H:EDX.FXSR; SDM Vol. 1 10.5.1, Vol. 2): the 512-byte image in its 32-bit layout,
/// FCW 0, FSW 2, abridged tag 4, FOP 6, FIP 8, FCS 12, FDP 16, FDS 20, MXCSR 24, MXCSR_MASK 28, ST0-ST7 at 32 + 16i,
/// XMM0-XMM7 at 160 + 16i; bytes 288-511 are neither written nor read. Neither waits (no #MF). With CR4.OSFXSR = 0
/// this CPU neither saves nor restores MXCSR, MXCSR_MASK and the XMM registers (bytes 24-31 and 160-287 untouched),
/// the implementation's choice the SDM allows, and QEMU's (docs/sse.md).
/// </summary>
internal static unsafe class InstFxsr
{
    private const uint Cr0Em = 4, Cr0Ts = 8;
    private const int ImageSize = 512, Registers = 32, XmmRegisters = 160;

    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Code.Fxsave_m512byte, &Fxsave);
        t.Add(Code.Fxrstor_m512byte, &Fxrstor);
    }

    /// <summary>#UD without FXSR (the integer core's answer), #NM with CR0.EM or CR0.TS, #GP(0) unless 16-byte aligned.</summary>
    private static uint Enter(X86Cpu c, ref DecodedOp op)
    {
        if ((c.Features & CpuFeatures.Fxsr) == 0)
        {
            InstSystem.Undefined(c, ref op); // throws
        }

        if ((c.Cr0 & (Cr0Em | Cr0Ts)) != 0)
        {
            throw c.Exception(ExceptionVector.DeviceNotAvailable);
        }

        uint address = Operands.EffectiveAddress(c, ref op);
        if ((address & 15) != 0)
        {
            throw c.GeneralProtection();
        }

        return address;
    }

    /// <summary>Whether the image holds MXCSR and the XMM registers: CR4.OSFXSR set on a processor with SSE.</summary>
    private static bool HasSseState(X86Cpu c) => (c.Cr4 & X86Cpu.Cr4OsFxsr) != 0 && (c.Features & CpuFeatures.Sse) != 0;

    public static void Fxsave(X86Cpu c, ref DecodedOp op)
    {
        uint address = Enter(c, ref op);
        bool sse = HasSseState(c);
        // The written bytes span at most two pages: both are checked before the first byte is written, and a fault on
        // the second reports its first byte in CR2, as for any split access.
        bool user = c.Cpl == 3;
        c.Mmu.Translate(address, write: true, user);
        if ((address & 0xFFF) + (uint)(sse ? XmmRegisters + 128 : XmmRegisters) > 0x1000)
        {
            c.Mmu.Translate((address | 0xFFF) + 1, write: true, user);
        }

        X87Fpu f = c.Fpu;
        c.Mmu.Write32(address, f.Control | (uint)f.StatusWord << 16);
        c.Mmu.Write32(address + 4, (byte)~f.EmptyMask | (uint)(f.Opcode & 0x7FF) << 16);
        c.Mmu.Write32(address + 8, f.InstructionPointer);
        c.Mmu.Write32(address + 12, f.InstructionSelector);
        c.Mmu.Write32(address + 16, f.DataPointer);
        c.Mmu.Write32(address + 20, f.DataSelector);
        if (sse)
        {
            c.Mmu.Write32(address + 24, c.Mxcsr);
            c.Mmu.Write32(address + 28, X86Cpu.MxcsrMask);
        }

        for (int i = 0; i < 8; i++)
        {
            uint at = address + Registers + (uint)(16 * i);
            InstX87.Write80(c, at, f.St(i));
            c.Mmu.Write16(at + 10, 0);
            c.Mmu.Write32(at + 12, 0);
        }

        if (sse)
        {
            for (int n = 0; n < 8; n++)
            {
                UInt128 value = c.Xmm[n];
                uint at = address + XmmRegisters + (uint)(16 * n);
                for (int k = 0; k < 4; k++)
                {
                    c.Mmu.Write32(at + (uint)(4 * k), (uint)(value >> (32 * k)));
                }
            }
        }
    }

    /// <summary>
    /// Reads the whole image first (a fault or the MXCSR check leaves every register as it was), then loads it; the
    /// tag word follows from the abridged tag (1 = not empty) and the registers' contents, as FNSTENV computes it.
    /// </summary>
    public static void Fxrstor(X86Cpu c, ref DecodedOp op)
    {
        uint address = Enter(c, ref op);
        bool sse = HasSseState(c);
        uint controlAndStatus = c.Mmu.Read32(address), tagAndOpcode = c.Mmu.Read32(address + 4);
        uint ip = c.Mmu.Read32(address + 8), cs = c.Mmu.Read32(address + 12), dp = c.Mmu.Read32(address + 16), ds = c.Mmu.Read32(address + 20);
        var registers = new Float80[8];
        for (int i = 0; i < 8; i++)
        {
            uint at = address + Registers + (uint)(16 * i);
            registers[i] = new Float80(c.Mmu.Read16(at + 8), InstX87.Read64(c, at));
        }

        uint mxcsr = c.Mxcsr;
        Span<UInt128> xmm = stackalloc UInt128[8];
        if (sse)
        {
            mxcsr = c.Mmu.Read32(address + 24);
            if ((mxcsr & ~X86Cpu.MxcsrMask) != 0)
            {
                throw c.GeneralProtection();
            }

            for (int n = 0; n < 8; n++)
            {
                uint at = address + XmmRegisters + (uint)(16 * n);
                UInt128 value = 0;
                for (int k = 0; k < 4; k++)
                {
                    value |= (UInt128)c.Mmu.Read32(at + (uint)(4 * k)) << (32 * k);
                }

                xmm[n] = value;
            }
        }

        X87Fpu f = c.Fpu;
        f.Control = InstX87.ValidControl((ushort)controlAndStatus);
        f.Status = (ushort)(controlAndStatus >> 16);
        f.EmptyMask = (byte)~tagAndOpcode;
        f.Opcode = (ushort)((tagAndOpcode >> 16) & 0x7FF);
        f.InstructionPointer = ip;
        f.InstructionSelector = (ushort)cs;
        f.DataPointer = dp;
        f.DataSelector = (ushort)ds;
        f.UpdateSummary();
        for (int i = 0; i < 8; i++)
        {
            f.Registers[f.Physical(i)] = registers[i];
        }

        if (sse)
        {
            c.Mxcsr = mxcsr;
            xmm.CopyTo(c.Xmm);
        }
    }
}
