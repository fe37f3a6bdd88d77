using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using static Translator.Machine.Instructions.Operands;

namespace Translator.Machine.Instructions;

/// <summary>
/// System instructions: flags control, descriptor tables, control/debug registers, TLB, HLT, software
/// interrupts and IRET, CPUID/RDTSC/MSRs, and the selector probes (LAR/LSL/VERR/VERW/ARPL).
/// </summary>
internal static unsafe partial class InstSystem
{
    public static void Register(InstructionTableBuilder t)
    {
        t.Add(Mnemonic.Hlt, &Hlt);
        t.Add(Mnemonic.Cli, &Cli);
        t.Add(Mnemonic.Sti, &Sti);
        t.Add(Mnemonic.Cld, &Cld);
        t.Add(Mnemonic.Std, &Std);
        t.Add(Mnemonic.Clc, &Clc);
        t.Add(Mnemonic.Stc, &Stc);
        t.Add(Mnemonic.Cmc, &Cmc);
        t.Add(Mnemonic.Ud2, &Undefined);
        t.Add(Mnemonic.Int, &Int);
        t.Add(Mnemonic.Int3, &Int3);
        t.Add(Mnemonic.Into, &Into);
        t.Add(Mnemonic.Int1, &Int1);
        t.Add(Mnemonic.Iret, &Iret);
        t.Add(Mnemonic.Iretd, &Iret);
        t.Add(Mnemonic.Lgdt, &Lgdt);
        t.Add(Mnemonic.Lidt, &Lidt);
        t.Add(Mnemonic.Sgdt, &Sgdt);
        t.Add(Mnemonic.Sidt, &Sidt);
        t.Add(Mnemonic.Lldt, &Lldt);
        t.Add(Mnemonic.Sldt, &Sldt);
        t.Add(Mnemonic.Ltr, &Ltr);
        t.Add(Mnemonic.Str, &Str);
        t.Add(Mnemonic.Smsw, &Smsw);
        t.Add(Mnemonic.Lmsw, &Lmsw);
        t.Add(Mnemonic.Clts, &Clts);
        t.Add(Mnemonic.Invlpg, &Invlpg);
        t.Add(Mnemonic.Invd, &PrivilegedNop);
        t.Add(Mnemonic.Wbinvd, &PrivilegedNop);
        t.Add(Mnemonic.Cpuid, &Cpuid);
        t.Add(Mnemonic.Rdtsc, &Rdtsc);
        t.Add(Mnemonic.Rdmsr, &Rdmsr);
        t.Add(Mnemonic.Wrmsr, &Wrmsr);
        t.Add(Mnemonic.Lar, &Lar);
        t.Add(Mnemonic.Lsl, &Lsl);
        t.Add(Mnemonic.Verr, &Verr);
        t.Add(Mnemonic.Verw, &Verw);
        t.Add(Mnemonic.Arpl, &Arpl);
        t.Add(Mnemonic.Bound, &Bound);
        t.Add(Mnemonic.Wait, &Wait);
        t.Add(Mnemonic.Vmcall, &Vmcall);
    }

    /// <summary>VMCALL: outside VMX operation #UD; in VMX non-root mode it always exits (a hypercall to the VMM).</summary>
    public static void Vmcall(X86Cpu c, ref DecodedOp op)
    {
        if (c.Vmx is null)
        {
            throw c.InvalidOpcode();
        }

        c.ExitOnInstruction(ref op, VmExitReason.Vmcall);
    }

    /// <summary>WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set, otherwise nothing (no FPU error can be pending).</summary>
    public static void Wait(X86Cpu c, ref DecodedOp op)
    {
        if ((c.Cr0 & (Cr0Mp | Cr0Ts)) == (Cr0Mp | Cr0Ts))
        {
            throw c.Exception(ExceptionVector.DeviceNotAvailable);
        }

        if (c.Fpu.ExceptionPending)
        {
            InstX87.SignalPendingError(c); // only an x87 unit can have one pending
        }
    }

    /// <summary>Anything this CPU does not implement: #NM for x87 while CR0.EM or CR0.TS is set, otherwise #UD.</summary>
    public static void Undefined(X86Cpu c, ref DecodedOp op)
    {
        if (op.Instruction.Code != Code.INVALID && IsX87(op.Instruction) && (c.Cr0 & 0xC) != 0)
        {
            throw c.Exception(ExceptionVector.DeviceNotAvailable);
        }

        throw c.InvalidOpcode();
    }

    private static bool IsX87(in Instruction instruction)
    {
        foreach (CpuidFeature feature in instruction.Code.CpuidFeatures())
        {
            if (feature is CpuidFeature.FPU or CpuidFeature.FPU287 or CpuidFeature.FPU387)
            {
                return true;
            }
        }

        return false;
    }

    public static void Hlt(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        if (c.Vmx is { } vmx && (vmx.Primary & ProcessorControls.HltExiting) != 0)
        {
            c.ExitOnInstruction(ref op, VmExitReason.Hlt);
            return;
        }

        c.Halted = true;
        c.StopBlock = true;
    }

    private static void RequireIopl(X86Cpu c)
    {
        if (c.Cpl > c.Iopl)
        {
            throw c.GeneralProtection();
        }
    }

    public static void Cli(X86Cpu c, ref DecodedOp op)
    {
        RequireIopl(c);
        c.FlagBits &= ~(uint)EFlags.IF;
    }

    public static void Sti(X86Cpu c, ref DecodedOp op)
    {
        RequireIopl(c);
        if (!c.IF)
        {
            c.InterruptShadow = true;
        }

        c.FlagBits |= (uint)EFlags.IF;
        c.StopBlock = true; // a pending interrupt may now be taken
    }

    public static void Cld(X86Cpu c, ref DecodedOp op) => c.FlagBits &= ~(uint)EFlags.DF;

    public static void Std(X86Cpu c, ref DecodedOp op) => c.FlagBits |= (uint)EFlags.DF;

    public static void Clc(X86Cpu c, ref DecodedOp op) => c.SetCarry(false);

    public static void Stc(X86Cpu c, ref DecodedOp op) => c.SetCarry(true);

    public static void Cmc(X86Cpu c, ref DecodedOp op) => c.SetCarry(!c.CF);

    public static void Int(X86Cpu c, ref DecodedOp op) => c.SoftwareInterrupt((int)(op.Immediate & 0xFF), op.NextIp, op.NextIp - op.Ip);

    public static void Int3(X86Cpu c, ref DecodedOp op) => c.SoftwareInterrupt((int)ExceptionVector.Breakpoint, op.NextIp, op.NextIp - op.Ip);

    public static void Int1(X86Cpu c, ref DecodedOp op) => c.SoftwareInterrupt((int)ExceptionVector.Debug, op.NextIp, op.NextIp - op.Ip);

    public static void Into(X86Cpu c, ref DecodedOp op)
    {
        if (c.OF)
        {
            c.SoftwareInterrupt((int)ExceptionVector.Overflow, op.NextIp, op.NextIp - op.Ip);
        }
    }

    public static void Iret(X86Cpu c, ref DecodedOp op)
    {
        c.UnblockNmiForIret(op.Ip); // first, so that an IRET which faults has unblocked NMIs too (SDM 6.7.1)
        if ((c.FlagBits & (uint)EFlags.NT) != 0)
        {
            c.TaskReturn(ref op);
        }
        else
        {
            c.InterruptReturn(operand16: op.Instruction.Code == Code.Iretw);
        }

        c.IretCompleted();
        c.StopBlock = true; // IF may have been restored with an interrupt (or a latched NMI) pending
    }

    public static void Bound(X86Cpu c, ref DecodedOp op)
    {
        uint address = EffectiveAddress(c, ref op);
        int index, lower, upper;
        if (op.Bits == 16)
        {
            index = (short)c.Reg(op.R0);
            lower = (short)c.Mmu.Read16(address);
            upper = (short)c.Mmu.Read16(address + 2);
        }
        else
        {
            index = (int)c.Reg(op.R0);
            lower = (int)c.Mmu.Read32(address);
            upper = (int)c.Mmu.Read32(address + 4);
        }

        if (index < lower || index > upper)
        {
            throw c.Exception(ExceptionVector.BoundRange);
        }
    }

    // ---- segment registers --------------------------------------------------------------------------------------

    public static void MoveToSegment(X86Cpu c, ref DecodedOp op)
    {
        ushort selector = (ushort)(op.K1 == OperandKind.Gpr ? c.Reg(op.R1) : c.Mmu.Read16(EffectiveAddress(c, ref op)));
        c.LoadSegment((SegmentRegister)op.R0, selector);
        if (op.R0 == (int)SegmentRegister.SS)
        {
            c.InterruptShadow = true;
            c.MovSsShadow = true;
        }
    }

    // ---- control and debug registers ----------------------------------------------------------------------------

    private const uint Cr0Pe = 1, Cr0Mp = 2, Cr0Em = 4, Cr0Ts = 8, Cr0Et = 0x10, Cr0Ne = 0x20, Cr0Wp = 0x1_0000,
        Cr0Am = 0x4_0000, Cr0Nw = 0x2000_0000, Cr0Cd = 0x4000_0000, Cr0Pg = 0x8000_0000;

    /// <summary>CR4 bits this CPU accepts: VME PVI TSD DE PSE MCE PGE PCE (no PAE), UMIP.</summary>
    private const uint Cr4Supported = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x80 | 0x100 | X86Cpu.Cr4Umip;

    public static void MoveToControlOrDebug(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        uint value = c.Reg(op.R1);
        if (op.K0 == OperandKind.Debug)
        {
            c.WriteDebugRegister(op.R0 & 7, value);
            c.StopBlock = true; // a breakpoint armed now must be seen by the next instruction (the interpreter's stepping)
            return;
        }

        if (c.Vmx is not null && c.ExitsOnControlRegisterWrite(ref op, op.R0, ref value))
        {
            return;
        }

        WriteControlRegister(c, op.R0, value);
    }

    /// <summary>The value a MOV to CR0/CR4 stores, or #GP / unsupported-operation for one the processor refuses.</summary>
    internal static uint CheckControlRegister(X86Cpu c, int index, uint value)
    {
        switch (index)
        {
            case 0:
                const uint supported = Cr0Pe | Cr0Mp | Cr0Em | Cr0Ts | Cr0Ne | Cr0Wp | Cr0Am | Cr0Nw | Cr0Cd | Cr0Pg;
                if ((value & Cr0Pg) != 0 && (value & Cr0Pe) == 0 || (value & Cr0Nw) != 0 && (value & Cr0Cd) == 0)
                {
                    throw c.GeneralProtection();
                }

                if ((value & Cr0Pe) == 0)
                {
                    throw new UnsupportedGuestOperationException("clearing CR0.PE (real mode) is not supported");
                }

                return (value & supported) | Cr0Et;
            case 4:
                if ((value & ~(Cr4Supported | c.Cr4FeatureBits)) != 0)
                {
                    throw c.GeneralProtection();
                }

                return value;
            default:
                return value;
        }
    }

    internal static void WriteControlRegister(X86Cpu c, int index, uint value)
    {
        switch (index)
        {
            case 0:
                c.Cr0 = CheckControlRegister(c, 0, value);
                c.SyncMmu();
                break;
            case 2:
                c.Cr2 = value;
                break;
            case 3:
                c.Cr3 = value;
                c.SyncMmu();
                break;
            case 4:
                c.Cr4 = CheckControlRegister(c, 4, value);
                c.SyncMmu();
                break;
            default:
                throw c.InvalidOpcode();
        }

        c.StopBlock = true;
    }

    public static void MoveFromControlOrDebug(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        uint value = op.K1 == OperandKind.Debug
            ? c.ReadDebugRegister(op.R1 & 7)
            : op.R1 switch
            {
                0 => c.Cr0,
                2 => c.Cr2,
                3 => c.Cr3,
                4 => c.Cr4,
                _ => throw c.InvalidOpcode(),
            };
        if (c.Vmx is not null && op.K1 == OperandKind.Control && c.ExitsOnControlRegisterRead(ref op, op.R1, ref value))
        {
            return;
        }

        c.Reg(op.R0) = value;
    }

    public static void Lmsw(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        uint value = Read0(c, ref op) & 0xF;
        // LMSW can set PE but never clear it.
        uint cr0 = (c.Cr0 & ~0xEu) | value | (c.Cr0 & Cr0Pe);
        if (c.Vmx is not null && c.ExitsOnLmsw(ref op, value, ref cr0))
        {
            return;
        }

        WriteControlRegister(c, 0, cr0);
    }

    public static void Smsw(X86Cpu c, ref DecodedOp op)
    {
        c.RequireUmipPrivilege();
        // SMSW r32 stores all of CR0 on P6 and later (the upper bits are "undefined" by the SDM; QEMU does this).
        uint cr0 = c.GuestVisibleCr0(c.Cr0);
        if (op.K0 == OperandKind.Gpr)
        {
            WriteGpr(c, op.R0, op.Bits, cr0);
        }
        else
        {
            c.Mmu.Write16(EffectiveAddress(c, ref op), (ushort)cr0);
        }
    }

    public static void Clts(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        if (c.Vmx is not null && c.ExitsOrSkipsClts(ref op))
        {
            return;
        }

        c.Cr0 &= ~Cr0Ts;
    }

    public static void Invlpg(X86Cpu c, ref DecodedOp op)
    {
        c.RequireCpl0();
        if (c.Vmx is { } vmx && (vmx.Primary & ProcessorControls.InvlpgExiting) != 0)
        {
            c.ExitOnInstruction(ref op, VmExitReason.Invlpg, EffectiveAddress(c, ref op));
            return;
        }

        c.Mmu.FlushPage(EffectiveAddress(c, ref op));
        c.RaiseTranslationChanged();
        c.StopBlock = true;
    }

    public static void PrivilegedNop(X86Cpu c, ref DecodedOp op) => c.RequireCpl0();
}
