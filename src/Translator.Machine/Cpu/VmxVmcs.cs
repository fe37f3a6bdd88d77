namespace Translator.Machine.Cpu;

/// <summary>
/// The virtual-machine control structure of the emulated VT-x: what the VMM writes before VM entry (execution
/// controls, bitmaps, masks and shadows, the event to inject) and what the CPU writes at VM exit (the exit
/// information fields). The guest-state area is the <see cref="X86Cpu"/> itself: while a VMCS is attached the CPU
/// runs in VMX non-root mode, and its registers are the guest's. Field names follow SDM Vol. 3C chapter 24.
/// </summary>
public sealed class Vmcs
{
    // ---- VM-execution control fields (24.6) ---------------------------------------------------------------------

    public PinBasedControls PinBased { get; set; } = PinBasedControls.ExternalInterruptExiting;

    public ProcessorControls Primary { get; set; }

    public SecondaryControls Secondary { get; set; }

    /// <summary>Bit n set: exception vector n causes a VM exit instead of being delivered through the guest IDT.</summary>
    public uint ExceptionBitmap { get; set; }

    /// <summary>A #PF whose (error code &amp; mask) == match exits when bit 14 of the bitmap is set, else when it is clear (24.6.3).</summary>
    public uint PageFaultErrorCodeMask { get; set; }

    public uint PageFaultErrorCodeMatch { get; set; }

    /// <summary>I/O bitmaps A (ports 0000-7FFF) and B (8000-FFFF): one bit per port, set = exit.</summary>
    public byte[] IoBitmapA { get; } = new byte[4096];

    public byte[] IoBitmapB { get; } = new byte[4096];

    /// <summary>
    /// The 4 KiB MSR bitmap (24.6.9): read bitmap for MSRs 0-1FFF at offset 0, for C0000000-C0001FFF at 1024;
    /// write bitmaps at 2048 and 3072. MSRs outside both ranges always exit.
    /// </summary>
    public byte[] MsrBitmap { get; } = new byte[4096];

    /// <summary>Bits set here are owned by the VMM: guest reads see <see cref="Cr0ReadShadow"/>, guest writes that change them exit.</summary>
    public uint Cr0GuestHostMask { get; set; }

    public uint Cr0ReadShadow { get; set; }

    public uint Cr4GuestHostMask { get; set; }

    public uint Cr4ReadShadow { get; set; }

    /// <summary>With CR3-load exiting, MOV to CR3 of one of the first <see cref="Cr3TargetCount"/> values does not exit.</summary>
    public uint[] Cr3TargetValues { get; } = new uint[4];

    public int Cr3TargetCount { get; set; }

    /// <summary>Added to the time-stamp counter the guest reads when <see cref="ProcessorControls.UseTscOffsetting"/> is set.</summary>
    public ulong TscOffset { get; set; }

    /// <summary>The guest-physical to host-physical map used when <see cref="SecondaryControls.EnableEpt"/> is set.</summary>
    public VmxExtendedPageTable? Ept { get; set; }

    // ---- VM-entry control fields (24.8.3): event injection --------------------------------------------------------

    public InterruptionInfo EntryInterruptionInfo { get; set; }

    public uint EntryExceptionErrorCode { get; set; }

    /// <summary>For software interrupts and exceptions: the length of the instruction the return address skips.</summary>
    public uint EntryInstructionLength { get; set; }

    // ---- VM-exit information fields (24.9), written by the CPU ----------------------------------------------------

    public VmExitReason ExitReason { get; internal set; }

    public uint ExitQualification { get; internal set; }

    public uint GuestLinearAddress { get; internal set; }

    public uint GuestPhysicalAddress { get; internal set; }

    public uint ExitInstructionLength { get; internal set; }

    /// <summary>For string I/O: bits 9:7 address size (0 = 16-bit, 1 = 32-bit), bits 17:15 segment register.</summary>
    public uint ExitInstructionInfo { get; internal set; }

    /// <summary>For exception and external-interrupt exits: what the event was.</summary>
    public InterruptionInfo ExitInterruptionInfo { get; internal set; }

    public uint ExitInterruptionErrorCode { get; internal set; }

    /// <summary>When the exit happened while an event was being delivered through the guest IDT: that event, to re-inject.</summary>
    public InterruptionInfo IdtVectoringInfo { get; internal set; }

    public uint IdtVectoringErrorCode { get; internal set; }

    /// <summary>The linear address of a #PF that exits (the exit qualification; CR2 keeps the guest's value).</summary>
    internal uint PageFaultLinearAddress;

    /// <summary>
    /// The exit happened while VM entry delivered the injected event, before any guest instruction ran (the
    /// IDT-vectoring information then names the VMM's own injection).
    /// </summary>
    public bool ExitDuringEventInjection { get; internal set; }

    /// <summary>The guest EIP of the instruction that exited (or faulted).</summary>
    public uint ExitGuestEip { get; internal set; }

    // ---- CPU-internal exit bookkeeping ------------------------------------------------------------------------------

    /// <summary>An exit was recorded and the CPU is on its way back to the VMM.</summary>
    internal bool ExitPending;

    /// <summary>The exit was caused by an instruction (it counted as retired; EIP goes back to it).</summary>
    internal bool InstructionExit;

    /// <summary>The host timer fired: the next instruction boundary exits with <see cref="VmExitReason.ExternalInterrupt"/>.</summary>
    internal bool HostInterruptPending;

    /// <summary>The exit-information fields of the last exit, as one value (for tracing and tests).</summary>
    public VmExitInformation ExitInformation => new(ExitReason, ExitQualification, ExitInstructionLength, ExitInstructionInfo,
        GuestLinearAddress, GuestPhysicalAddress, ExitInterruptionInfo, ExitInterruptionErrorCode, IdtVectoringInfo, ExitGuestEip);

    internal bool Has(ProcessorControls control) => (Primary & control) != 0;

    internal bool Has(SecondaryControls control) =>
        (Primary & ProcessorControls.ActivateSecondaryControls) != 0 && (Secondary & control) != 0;

    /// <summary>Whether an I/O access of <paramref name="size"/> bytes at <paramref name="port"/> exits (25.1.3).</summary>
    public bool ExitsOnIo(ushort port, int size)
    {
        if (Has(ProcessorControls.UseIoBitmaps))
        {
            for (int i = 0; i < size; i++)
            {
                int p = port + i;
                if (p > 0xFFFF)
                {
                    return true; // an access that wraps around the port space always exits
                }

                byte[] bitmap = p < 0x8000 ? IoBitmapA : IoBitmapB;
                if ((bitmap[(p & 0x7FFF) >> 3] & (1 << (p & 7))) != 0)
                {
                    return true;
                }
            }

            return false;
        }

        return Has(ProcessorControls.UnconditionalIoExiting);
    }

    /// <summary>Whether RDMSR (<paramref name="write"/> false) or WRMSR of <paramref name="msr"/> exits (25.1.3).</summary>
    public bool ExitsOnMsr(uint msr, bool write)
    {
        if (!Has(ProcessorControls.UseMsrBitmaps))
        {
            return true;
        }

        int offset;
        if (msr <= 0x1FFF)
        {
            offset = 0;
        }
        else if (msr - 0xC000_0000u <= 0x1FFF)
        {
            offset = 1024;
            msr -= 0xC000_0000u;
        }
        else
        {
            return true;
        }

        offset += (write ? 2048 : 0) + (int)(msr >> 3);
        return (MsrBitmap[offset] & (1 << (int)(msr & 7))) != 0;
    }

    /// <summary>Sets or clears the read and write intercepts of one MSR in <see cref="MsrBitmap"/>.</summary>
    public void InterceptMsr(uint msr, bool read, bool write)
    {
        int offset = msr <= 0x1FFF ? 0 : msr - 0xC000_0000u <= 0x1FFF ? 1024 : throw new ArgumentOutOfRangeException(nameof(msr));
        int index = offset + (int)((msr & 0x1FFF) >> 3);
        byte bit = (byte)(1 << (int)(msr & 7));
        MsrBitmap[index] = read ? (byte)(MsrBitmap[index] | bit) : (byte)(MsrBitmap[index] & ~bit);
        MsrBitmap[index + 2048] = write ? (byte)(MsrBitmap[index + 2048] | bit) : (byte)(MsrBitmap[index + 2048] & ~bit);
    }

    /// <summary>Sets or clears the exit bit of one port in the I/O bitmaps.</summary>
    public void InterceptPort(ushort port, bool exit)
    {
        byte[] bitmap = port < 0x8000 ? IoBitmapA : IoBitmapB;
        int index = (port & 0x7FFF) >> 3;
        byte bit = (byte)(1 << (port & 7));
        bitmap[index] = exit ? (byte)(bitmap[index] | bit) : (byte)(bitmap[index] & ~bit);
    }

    /// <summary>Whether exception <paramref name="vector"/> with <paramref name="errorCode"/> exits (24.6.3, with the #PF filter).</summary>
    public bool InterceptsException(int vector, uint errorCode)
    {
        bool bit = (ExceptionBitmap & (1u << vector)) != 0;
        if (vector == (int)ExceptionVector.PageFault)
        {
            bool matches = (errorCode & PageFaultErrorCodeMask) == PageFaultErrorCodeMatch;
            return matches ? bit : !bit;
        }

        return bit;
    }

    /// <summary>Whether MOV to CR3 of <paramref name="value"/> exits: CR3-load exiting, unless the value is a CR3 target.</summary>
    public bool ExitsOnCr3Load(uint value)
    {
        if (!Has(ProcessorControls.Cr3LoadExiting))
        {
            return false;
        }

        for (int i = 0; i < Math.Min(Cr3TargetCount, Cr3TargetValues.Length); i++)
        {
            if (Cr3TargetValues[i] == value)
            {
                return false;
            }
        }

        return true;
    }

    internal void BeginExit(VmExitReason reason, uint qualification, uint guestEip)
    {
        ExitReason = reason;
        ExitQualification = qualification;
        ExitGuestEip = guestEip;
        ExitInstructionLength = 0;
        ExitInstructionInfo = 0;
        GuestLinearAddress = 0;
        GuestPhysicalAddress = 0;
        ExitInterruptionInfo = InterruptionInfo.None;
        ExitInterruptionErrorCode = 0;
        IdtVectoringInfo = InterruptionInfo.None;
        IdtVectoringErrorCode = 0;
        InstructionExit = false;
        ExitPending = true;
    }
}

/// <summary>A copy of the VM-exit information fields of one exit.</summary>
public readonly record struct VmExitInformation(
    VmExitReason Reason,
    uint Qualification,
    uint InstructionLength,
    uint InstructionInfo,
    uint GuestLinearAddress,
    uint GuestPhysicalAddress,
    InterruptionInfo Interruption,
    uint InterruptionErrorCode,
    InterruptionInfo IdtVectoring,
    uint GuestEip);
