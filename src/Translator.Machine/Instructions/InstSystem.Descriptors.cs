using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>Descriptor-table registers and the selector probes.</summary>
internal static unsafe partial class InstSystem
{
    public static void Lgdt(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        (ushort limit, uint tableBase) = ReadPseudoDescriptor(c, ref op);
        c.GdtLimit = limit;
        c.GdtBase = tableBase;
    }

    public static void Lidt(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        (ushort limit, uint tableBase) = ReadPseudoDescriptor(c, ref op);
        c.IdtLimit = limit;
        c.IdtBase = tableBase;
    }

    private static (ushort Limit, uint Base) ReadPseudoDescriptor(X86Cpu c, ref DecodedOp op)
    {
        uint address = EffectiveAddress(c, ref op);
        ushort limit = c.Mmu.Read16(address);
        uint tableBase = c.Mmu.Read32(address + 2);
        if (op.Instruction.CodeSize == Iced.Intel.CodeSize.Code32 && op.Instruction.HasOperandSizePrefix())
        {
            tableBase &= 0x00FF_FFFF; // 16-bit operand size loads a 24-bit base
        }

        return (limit, tableBase);
    }

    private static bool HasOperandSizePrefix(this in Iced.Intel.Instruction instruction) =>
        instruction.Code is Iced.Intel.Code.Lgdt_m1632_16 or Iced.Intel.Code.Lidt_m1632_16;

    public static void Sgdt(X86Cpu c, ref DecodedOp op) => StorePseudoDescriptor(c, ref op, c.GdtLimit, c.GdtBase);

    public static void Sidt(X86Cpu c, ref DecodedOp op) => StorePseudoDescriptor(c, ref op, c.IdtLimit, c.IdtBase);

    private static void StorePseudoDescriptor(X86Cpu c, ref DecodedOp op, ushort limit, uint tableBase)
    {
        c.RequireUmipPrivilege();
        uint address = EffectiveAddress(c, ref op);
        c.Mmu.ProbeWrite(address, 6, c.Cpl == 3);
        c.Mmu.Write16(address, limit);
        c.Mmu.Write32(address + 2, tableBase);
    }

    public static void Lldt(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        ushort selector = (ushort)Read0(c, ref op);
        if ((selector & 0xFFFC) == 0)
        {
            c.LdtSelector = selector;
            c.LdtBase = 0;
            c.LdtLimit = 0;
            return;
        }

        if ((selector & 4) != 0)
        {
            throw c.GeneralProtection((uint)selector & 0xFFFC);
        }

        Descriptor d = c.ReadDescriptor(selector);
        if (d.IsCodeOrData || d.Type != 2)
        {
            throw c.GeneralProtection((uint)selector & 0xFFFC);
        }

        if (!d.Present)
        {
            throw c.Exception(ExceptionVector.SegmentNotPresent, (uint)selector & 0xFFFC);
        }

        c.LdtSelector = selector;
        c.LdtBase = d.Base;
        c.LdtLimit = d.Limit;
    }

    public static void Ltr(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        ushort selector = (ushort)Read0(c, ref op);
        if ((selector & 0xFFFC) == 0)
        {
            throw c.GeneralProtection();
        }

        if ((selector & 4) != 0)
        {
            throw c.GeneralProtection((uint)selector & 0xFFFC);
        }

        Descriptor d = c.ReadDescriptor(selector);
        if (d.IsCodeOrData || (d.Type != 9 && d.Type != 1))
        {
            throw c.GeneralProtection((uint)selector & 0xFFFC);
        }

        if (!d.Present)
        {
            throw c.Exception(ExceptionVector.SegmentNotPresent, (uint)selector & 0xFFFC);
        }

        if (d.Type == 1)
        {
            throw new UnsupportedGuestOperationException($"LTR of a 16-bit TSS (selector 0x{selector:X4}) is not supported");
        }

        // Mark the TSS busy in the GDT, as hardware does.
        c.WriteSystem32(c.GdtBase + ((uint)selector & 0xFFF8) + 4, d.High | 0x200);
        c.TaskRegister = selector;
        c.TssBase = d.Base;
        c.TssLimit = d.Limit;
    }

    public static void Sldt(X86Cpu c, ref DecodedOp op) => StoreSelector(c, ref op, c.LdtSelector);

    public static void Str(X86Cpu c, ref DecodedOp op) => StoreSelector(c, ref op, c.TaskRegister);

    private static void StoreSelector(X86Cpu c, ref DecodedOp op, ushort selector)
    {
        c.RequireUmipPrivilege();
        if (op.K0 == OperandKind.Gpr)
        {
            WriteGpr(c, op.R0, op.Bits, selector); // a 32-bit register destination is zero-extended
        }
        else
        {
            c.Mmu.Write16(EffectiveAddress(c, ref op), selector);
        }
    }

    // ---- LAR / LSL / VERR / VERW / ARPL -------------------------------------------------------------------------

    /// <summary>Reads a descriptor for a probe instruction; null (ZF=0) when the selector is null or out of the table.</summary>
    private static Descriptor? ProbeDescriptor(X86Cpu c, ushort selector)
    {
        if ((selector & 0xFFFC) == 0)
        {
            return null;
        }

        bool local = (selector & 4) != 0;
        uint limit = local ? c.LdtLimit : c.GdtLimit;
        if ((local && (c.LdtSelector & 0xFFFC) == 0) || ((uint)selector & 0xFFF8) + 7 > limit)
        {
            return null;
        }

        return c.ReadDescriptor(selector);
    }

    /// <summary>The privilege check the probes share: conforming code is always visible, others need DPL >= max(CPL, RPL).</summary>
    private static bool Visible(X86Cpu c, Descriptor d, ushort selector) =>
        d.Conforming || (d.Dpl >= c.Cpl && d.Dpl >= (selector & 3));

    public static void Lar(X86Cpu c, ref DecodedOp op)
    {
        ushort selector = (ushort)Read1(c, ref op);
        Descriptor? found = ProbeDescriptor(c, selector);
        bool valid = found is { } d && Visible(c, d, selector) &&
            (d.IsCodeOrData || d.Type is 1 or 2 or 3 or 4 or 5 or 9 or 0xB or 0xC);
        if (valid)
        {
            uint access = found!.Value.High & 0x00F0_FF00;
            WriteGpr(c, op.R0, op.Bits, op.Bits == 16 ? access & 0xFF00 : access);
        }

        c.SetFlag(EFlags.ZF, valid);
    }

    public static void Lsl(X86Cpu c, ref DecodedOp op)
    {
        ushort selector = (ushort)Read1(c, ref op);
        Descriptor? found = ProbeDescriptor(c, selector);
        bool valid = found is { } d && Visible(c, d, selector) &&
            (d.IsCodeOrData || d.Type is 1 or 2 or 3 or 9 or 0xB);
        if (valid)
        {
            WriteGpr(c, op.R0, op.Bits, found!.Value.Limit);
        }

        c.SetFlag(EFlags.ZF, valid);
    }

    public static void Verr(X86Cpu c, ref DecodedOp op) => Verify(c, (ushort)Read0(c, ref op), write: false);

    public static void Verw(X86Cpu c, ref DecodedOp op) => Verify(c, (ushort)Read0(c, ref op), write: true);

    private static void Verify(X86Cpu c, ushort selector, bool write)
    {
        Descriptor? found = ProbeDescriptor(c, selector);
        bool ok = found is { IsCodeOrData: true } d && Visible(c, d, selector) && (write ? d.Writable : d.Readable);
        c.SetFlag(EFlags.ZF, ok);
    }

    public static void Arpl(X86Cpu c, ref DecodedOp op)
    {
        uint dest = Read0(c, ref op);
        uint source = ReadGpr(c, op.R1, 16);
        bool adjust = (dest & 3) < (source & 3);
        if (adjust)
        {
            Write0(c, ref op, (dest & ~3u) | (source & 3));
        }

        c.SetFlag(EFlags.ZF, adjust);
    }
}
