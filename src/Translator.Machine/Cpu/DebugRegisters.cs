namespace Translator.Machine.Cpu;

/// <summary>
/// DR0-DR7 (Intel SDM Vol. 3 ch. 17): instruction breakpoints, general detect and DR6's status bits. DR6 and DR7
/// keep their fixed bits (DR6 reads 0xFFFF0FF0 with no status, DR7 bit 10 reads 1); an access to DR4 or DR5 is
/// DR6 or DR7 while CR4.DE is clear and #UD while it is set; with DR7.GD set any MOV DR is #DB (DR6.BD, and GD
/// cleared so the handler can use the registers). Data breakpoints (writes, or reads and writes, of 1, 2, 4 or 8
/// aligned bytes) are a #DB trap after the instruction; I/O breakpoints are stored and not armed.
/// </summary>
public sealed partial class X86Cpu
{
    internal const uint Dr6Fixed = 0xFFFF_0FF0, Dr7Fixed = 0x400;
    internal const uint Dr6Bd = 0x2000, Dr6Bs = 0x4000, Dr7Gd = 0x2000;
    private const uint Cr4De = 8;

    /// <summary>Bit n set while DR7 enables DRn (L or G) as an instruction breakpoint (R/W = 00).</summary>
    internal int InstructionBreakpoints;

    /// <summary>Bit n set while DR7 enables DRn as a data breakpoint (R/W = 01 writes, 11 reads and writes).</summary>
    internal int DataBreakpoints;

    /// <summary>Any breakpoint armed: the interpreter then runs one instruction at a time.</summary>
    internal bool BreakpointsArmed => (InstructionBreakpoints | DataBreakpoints) != 0;

    /// <summary>
    /// The interrupt shadow is MOV SS's or POP SS's, which also holds debug exceptions for one instruction (SDM
    /// 6.8.3): an instruction breakpoint on the instruction after it is not reported.
    /// </summary>
    internal bool MovSsShadow;

    /// <summary>MOV from DRn (CPL already checked).</summary>
    internal uint ReadDebugRegister(int n) => DebugRegisters[CheckDebugRegisterAccess(n)];

    /// <summary>MOV to DRn (CPL already checked): the fixed bits of DR6 and DR7 kept, the breakpoints re-armed.</summary>
    internal void WriteDebugRegister(int n, uint value)
    {
        n = CheckDebugRegisterAccess(n);
        DebugRegisters[n] = n switch
        {
            6 => (value & 0xE00F) | Dr6Fixed,
            7 => (value & 0xFFFF_23FF) | Dr7Fixed,
            _ => value,
        };
        ArmBreakpoints();
    }

    /// <summary>Recomputes <see cref="InstructionBreakpoints"/> from DR7 (after a write, a #DB clearing GD, a snapshot).</summary>
    internal void ArmBreakpoints()
    {
        uint dr7 = DebugRegisters[7];
        int instruction = 0, data = 0;
        for (int n = 0; n < 4; n++)
        {
            bool enabled = ((dr7 >> (2 * n)) & 3) != 0;
            uint kind = (dr7 >> (16 + (4 * n))) & 3;
            if (enabled && kind == 0)
            {
                instruction |= 1 << n;
            }

            // R/W 10 is an I/O breakpoint with CR4.DE (undefined without it): not armed.
            bool watches = enabled && kind is 1 or 3;
            if (watches)
            {
                data |= 1 << n;
            }

            if (watches || (DataBreakpoints & (1 << n)) != 0)
            {
                Mmu.Watch(n, DebugRegisters[n], watches ? DataLength((dr7 >> (18 + (4 * n))) & 3) : 0, reads: kind == 3);
            }
        }

        InstructionBreakpoints = instruction;
        DataBreakpoints = data;
    }

    /// <summary>DR7's LEN field: 1, 2, 8 (10, as later processors define it) or 4 bytes.</summary>
    private static uint DataLength(uint len) => len switch { 0 => 1, 1 => 2, 2 => 8, _ => 4 };

    /// <summary>
    /// After an instruction completed: the data breakpoints its accesses touched, as DR6's B bits (0: none). The
    /// caller reports them with the instruction's #DB trap.
    /// </summary>
    internal uint TakeDataBreakpointHits()
    {
        uint hits = Mmu.WatchHits & (uint)DataBreakpoints;
        Mmu.WatchHits = 0;
        return hits;
    }

    /// <summary>
    /// Whether an enabled instruction breakpoint matches the linear address of the instruction at CS:EIP; if so
    /// DR6's B0-B3 report every instruction breakpoint at that address (enabled or not, as QEMU; the SDM leaves
    /// the disabled ones' bits open).
    /// </summary>
    internal bool InstructionBreakpointHit()
    {
        uint linear = SegmentBases[(int)SegmentRegister.CS] + Eip;
        uint dr7 = DebugRegisters[7];
        uint hits = 0;
        for (int n = 0; n < 4; n++)
        {
            if (((dr7 >> (16 + (4 * n))) & 3) == 0 && DebugRegisters[n] == linear)
            {
                hits |= 1u << n;
            }
        }

        if ((hits & (uint)InstructionBreakpoints) == 0)
        {
            return false;
        }

        DebugRegisters[6] = (DebugRegisters[6] & ~0xFu) | hits;
        return true;
    }

    /// <summary>DR4/DR5 alias DR6/DR7 unless CR4.DE (#UD); general detect raises #DB before the access.</summary>
    private int CheckDebugRegisterAccess(int n)
    {
        if ((DebugRegisters[7] & Dr7Gd) != 0)
        {
            DebugRegisters[6] |= Dr6Bd;
            DebugRegisters[7] &= ~Dr7Gd;
            throw Exception(ExceptionVector.Debug);
        }

        if (n is 4 or 5)
        {
            if ((Cr4 & Cr4De) != 0)
            {
                throw InvalidOpcode();
            }

            n += 2;
        }

        return n;
    }

    private void ResetDebugRegisters()
    {
        Array.Clear(DebugRegisters);
        DebugRegisters[6] = Dr6Fixed;
        DebugRegisters[7] = Dr7Fixed;
        if (DataBreakpoints != 0)
        {
            for (int n = 0; n < 4; n++)
            {
                Mmu.Watch(n, 0, 0, reads: false);
            }
        }

        InstructionBreakpoints = DataBreakpoints = 0;
        MovSsShadow = false;
    }
}
