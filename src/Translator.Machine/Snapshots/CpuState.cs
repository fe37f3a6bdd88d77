using Translator.Machine.Cpu;

namespace Translator.Machine.Snapshots;

/// <summary>
/// The architectural state of the guest's processor as bare metal holds it, hidden parts included: the general
/// registers, EIP and EFLAGS, each segment register with its descriptor cache (base and attribute bytes), CPL, the
/// control and debug registers, the descriptor-table and task registers with their cached bases and limits, the
/// SYSENTER MSRs and the TSC offset, whether the CPU is halted or inside an STI / MOV SS interrupt shadow, and the
/// retired-instruction count with the guest-visible event counters. The SSE unit's XMM0-XMM7 and MXCSR are here (docs/sse.md); the x87/MMX registers in <see cref="Fpu"/>. A VMM's own view of the processor (ring compression, shadow CR3) is never in here: each
/// backend translates between its processor and this state.
/// </summary>
public sealed class CpuState
{
    public uint[] Registers { get; init; } = new uint[8];

    public uint Eip { get; set; }

    public uint EFlags { get; set; }

    public ushort[] Selectors { get; init; } = new ushort[6];

    public uint[] SegmentBases { get; init; } = new uint[6];

    public ushort[] SegmentAttributes { get; init; } = new ushort[6];

    public int Cpl { get; set; }

    public uint Cr0 { get; set; }

    public uint Cr2 { get; set; }

    public uint Cr3 { get; set; }

    public uint Cr4 { get; set; }

    public uint[] DebugRegisters { get; init; } = new uint[8];

    public uint GdtBase { get; set; }

    public ushort GdtLimit { get; set; }

    public uint IdtBase { get; set; }

    public ushort IdtLimit { get; set; }

    public ushort LdtSelector { get; set; }

    public uint LdtBase { get; set; }

    public uint LdtLimit { get; set; }

    public ushort TaskRegister { get; set; }

    public uint TssBase { get; set; }

    public uint TssLimit { get; set; }

    public uint SysenterCs { get; set; }

    public uint SysenterEsp { get; set; }

    public uint SysenterEip { get; set; }

    public ulong MiscEnable { get; set; }

    /// <summary>XMM0-XMM7 (zero without SSE).</summary>
    public UInt128[] Xmm { get; init; } = new UInt128[8];

    public uint Mxcsr { get; set; } = X86Cpu.MxcsrAtReset;

    /// <summary>Added to virtual time to form the TSC the guest reads.</summary>
    public ulong TscOffset { get; set; }

    public bool Halted { get; set; }

    public bool InterruptShadow { get; set; }

    /// <summary>The interrupt shadow is MOV SS's (debug exceptions held too). Stored in InterruptShadow's byte (bit 1), so no format change: older readers see a nonzero byte as the shadow.</summary>
    public bool MovSsShadow { get; set; }

    /// <summary>The processor's NMI latch and blocking by NMI (until the next IRET).</summary>
    public bool NmiPending { get; set; }

    public bool NmiBlocked { get; set; }

    public long Nmis { get; set; }

    public ulong Retired { get; set; }

    /// <summary>Exceptions delivered by vector (<c>fault.*</c>), IRQs taken by line (<c>irq.*</c>), software interrupts.</summary>
    public long[] Exceptions { get; init; } = new long[32];

    public long[] Irqs { get; init; } = new long[16];

    public long SoftwareInterrupts { get; set; }

    /// <summary>The x87/MMX registers; null (a snapshot from before the FPU existed) loads the FPU's reset state.</summary>
    public X87State? Fpu { get; set; }

    /// <summary>The state <paramref name="cpu"/> holds, read as bare metal's (a VMM adjusts what it virtualizes afterwards).</summary>
    public static CpuState Capture(X86Cpu cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        var state = new CpuState
        {
            Eip = cpu.Eip,
            EFlags = cpu.EFlagsValue,
            Cpl = cpu.Cpl,
            Cr0 = cpu.Cr0,
            Cr2 = cpu.Cr2,
            Cr3 = cpu.Cr3,
            Cr4 = cpu.Cr4,
            GdtBase = cpu.GdtBase,
            GdtLimit = cpu.GdtLimit,
            IdtBase = cpu.IdtBase,
            IdtLimit = cpu.IdtLimit,
            LdtSelector = cpu.LdtSelector,
            LdtBase = cpu.LdtBase,
            LdtLimit = cpu.LdtLimit,
            TaskRegister = cpu.TaskRegister,
            TssBase = cpu.TssBase,
            TssLimit = cpu.TssLimit,
            SysenterCs = cpu.SysenterCs,
            SysenterEsp = cpu.SysenterEsp,
            SysenterEip = cpu.SysenterEip,
            MiscEnable = cpu.MiscEnable,
            Mxcsr = cpu.Mxcsr,
            TscOffset = cpu.TscOffset,
            Halted = cpu.Halted,
            InterruptShadow = cpu.InterruptShadow,
            MovSsShadow = cpu.MovSsShadow,
            NmiPending = cpu.NmiPending,
            NmiBlocked = cpu.NmiBlocked,
            Nmis = cpu.Counters.Nmis,
            Retired = cpu.Retired,
            SoftwareInterrupts = cpu.Counters.SoftwareInterrupts,
            Fpu = X87State.Capture(cpu.Fpu),
        };
        for (int r = 0; r < 8; r++)
        {
            state.Registers[r] = cpu.GetRegister(r);
        }

        cpu.Selectors.CopyTo(state.Selectors, 0);
        cpu.SegmentBases.CopyTo(state.SegmentBases, 0);
        cpu.SegmentAttributes.CopyTo(state.SegmentAttributes, 0);
        cpu.DebugRegisters.CopyTo(state.DebugRegisters, 0);
        cpu.Counters.Exceptions.CopyTo(state.Exceptions, 0);
        cpu.Counters.Irqs.CopyTo(state.Irqs, 0);
        ((ReadOnlySpan<UInt128>)cpu.Xmm).CopyTo(state.Xmm);
        return state;
    }

    /// <summary>Loads this state into <paramref name="cpu"/> as bare metal holds it (its TLB and decoded code are dropped).</summary>
    public void ApplyTo(X86Cpu cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        for (int r = 0; r < 8; r++)
        {
            cpu.SetRegister(r, Registers[r]);
        }

        cpu.Eip = Eip;
        cpu.WriteEFlags(EFlags);
        Selectors.CopyTo(cpu.Selectors, 0);
        SegmentBases.CopyTo(cpu.SegmentBases, 0);
        SegmentAttributes.CopyTo(cpu.SegmentAttributes, 0);
        cpu.SetCpl(Cpl);
        cpu.Cr0 = Cr0;
        cpu.Cr2 = Cr2;
        cpu.Cr3 = Cr3;
        cpu.Cr4 = Cr4;
        DebugRegisters.CopyTo(cpu.DebugRegisters, 0);
        cpu.ArmBreakpoints();
        cpu.GdtBase = GdtBase;
        cpu.GdtLimit = GdtLimit;
        cpu.IdtBase = IdtBase;
        cpu.IdtLimit = IdtLimit;
        cpu.LdtSelector = LdtSelector;
        cpu.LdtBase = LdtBase;
        cpu.LdtLimit = LdtLimit;
        cpu.TaskRegister = TaskRegister;
        cpu.TssBase = TssBase;
        cpu.TssLimit = TssLimit;
        cpu.SysenterCs = SysenterCs;
        cpu.SysenterEsp = SysenterEsp;
        cpu.SysenterEip = SysenterEip;
        cpu.MiscEnable = MiscEnable;
        cpu.Mxcsr = Mxcsr;
        for (int x = 0; x < 8; x++) cpu.Xmm[x] = Xmm[x];
        cpu.TscOffset = TscOffset;
        cpu.Halted = Halted;
        cpu.InterruptShadow = InterruptShadow;
        cpu.MovSsShadow = MovSsShadow;
        cpu.NmiPending = NmiPending;
        cpu.NmiBlocked = NmiBlocked;
        cpu.Counters.Nmis = Nmis;
        cpu.Retired = Retired;
        Exceptions.CopyTo(cpu.Counters.Exceptions, 0);
        Irqs.CopyTo(cpu.Counters.Irqs, 0);
        cpu.Counters.SoftwareInterrupts = SoftwareInterrupts;
        if (Fpu is null)
        {
            cpu.Fpu.Reset();
        }
        else
        {
            Fpu.ApplyTo(cpu.Fpu);
        }

        cpu.SyncMmu();
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (uint r in Registers) writer.Write(r);
        writer.Write(Eip);
        writer.Write(EFlags);
        foreach (ushort s in Selectors) writer.Write(s);
        foreach (uint b in SegmentBases) writer.Write(b);
        foreach (ushort a in SegmentAttributes) writer.Write(a);
        writer.Write((byte)Cpl);
        writer.Write(Cr0);
        writer.Write(Cr2);
        writer.Write(Cr3);
        writer.Write(Cr4);
        foreach (uint d in DebugRegisters) writer.Write(d);
        writer.Write(GdtBase);
        writer.Write(GdtLimit);
        writer.Write(IdtBase);
        writer.Write(IdtLimit);
        writer.Write(LdtSelector);
        writer.Write(LdtBase);
        writer.Write(LdtLimit);
        writer.Write(TaskRegister);
        writer.Write(TssBase);
        writer.Write(TssLimit);
        writer.Write(SysenterCs);
        writer.Write(SysenterEsp);
        writer.Write(SysenterEip);
        writer.Write(MiscEnable);
        writer.Write(TscOffset);
        writer.Write(Halted);
        writer.Write((byte)((InterruptShadow ? 1 : 0) | (MovSsShadow ? 2 : 0)));
        writer.Write(NmiPending);
        writer.Write(NmiBlocked);
        writer.Write(Nmis);
        writer.Write(Retired);
        foreach (long e in Exceptions) writer.Write(e);
        foreach (long i in Irqs) writer.Write(i);
        writer.Write(SoftwareInterrupts);
        foreach (UInt128 x in Xmm)
        {
            writer.Write((ulong)x);
            writer.Write((ulong)(x >> 64));
        }

        writer.Write(Mxcsr);
    }

    public static CpuState Read(BinaryReader reader, bool withSimd = true)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var s = new CpuState();
        for (int r = 0; r < 8; r++) s.Registers[r] = reader.ReadUInt32();
        s.Eip = reader.ReadUInt32();
        s.EFlags = reader.ReadUInt32();
        for (int i = 0; i < 6; i++) s.Selectors[i] = reader.ReadUInt16();
        for (int i = 0; i < 6; i++) s.SegmentBases[i] = reader.ReadUInt32();
        for (int i = 0; i < 6; i++) s.SegmentAttributes[i] = reader.ReadUInt16();
        s.Cpl = reader.ReadByte();
        if (s.Cpl > 3)
        {
            throw new InvalidDataException($"CPL {s.Cpl} is not a privilege level");
        }

        s.Cr0 = reader.ReadUInt32();
        s.Cr2 = reader.ReadUInt32();
        s.Cr3 = reader.ReadUInt32();
        s.Cr4 = reader.ReadUInt32();
        for (int i = 0; i < 8; i++) s.DebugRegisters[i] = reader.ReadUInt32();
        s.GdtBase = reader.ReadUInt32();
        s.GdtLimit = reader.ReadUInt16();
        s.IdtBase = reader.ReadUInt32();
        s.IdtLimit = reader.ReadUInt16();
        s.LdtSelector = reader.ReadUInt16();
        s.LdtBase = reader.ReadUInt32();
        s.LdtLimit = reader.ReadUInt32();
        s.TaskRegister = reader.ReadUInt16();
        s.TssBase = reader.ReadUInt32();
        s.TssLimit = reader.ReadUInt32();
        s.SysenterCs = reader.ReadUInt32();
        s.SysenterEsp = reader.ReadUInt32();
        s.SysenterEip = reader.ReadUInt32();
        s.MiscEnable = reader.ReadUInt64();
        s.TscOffset = reader.ReadUInt64();
        s.Halted = reader.ReadBoolean();
        byte shadow = reader.ReadByte();
        s.InterruptShadow = (shadow & 1) != 0;
        s.MovSsShadow = (shadow & 2) != 0;
        s.NmiPending = reader.ReadBoolean();
        s.NmiBlocked = reader.ReadBoolean();
        s.Nmis = reader.ReadInt64();
        s.Retired = reader.ReadUInt64();
        for (int i = 0; i < 32; i++) s.Exceptions[i] = reader.ReadInt64();
        for (int i = 0; i < 16; i++) s.Irqs[i] = reader.ReadInt64();
        s.SoftwareInterrupts = reader.ReadInt64();
        if (withSimd)
        {
            for (int x = 0; x < 8; x++)
            {
                ulong low = reader.ReadUInt64();
                s.Xmm[x] = new UInt128(reader.ReadUInt64(), low);
            }

            s.Mxcsr = reader.ReadUInt32();
            if ((s.Mxcsr & ~X86Cpu.MxcsrMask) != 0)
            {
                throw new InvalidDataException($"MXCSR 0x{s.Mxcsr:X8} has bits this processor does not implement");
            }
        }

        return s;
    }
}
