using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Translator.Machine.Cpu;

/// <summary>
/// The ABI of translated code: the narrow public surface that C# produced by the binary translator
/// (generators/Translator.Translation) compiles against from other assemblies. Registers live in the translated
/// method's locals and are copied through <see cref="TcRegisters"/>; condition flags are recorded in the same lazy
/// form the interpreter's handlers use, so an exit from translated code leaves exactly the interpreter's state.
/// Nothing here is meant for hand-written code.
/// </summary>
public sealed partial class X86Cpu
{
    /// <summary>EAX..EDI in ModRM order (index with <c>Unsafe.Add</c>).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public ref uint TcRegisters
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Gpr.First;
    }

    /// <summary>An instruction asked the running code to stop (a store into cached code, an I/O write, a mode change).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool TcStopRequested
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => StopBlock;
    }

    /// <summary>
    /// Per translated method of the attached translation (<see cref="Translation.TranslatedRegion.Method"/>): the
    /// <see cref="TranslationEpoch"/> in which the code cache last found the method's guest bytes unchanged at the
    /// physical place it was translated for, under the current mappings; 0 once a write into them invalidated it.
    /// </summary>
    internal uint[] ChainValid = [];

    /// <summary>
    /// Whether translated code may continue straight into translated method <paramref name="method"/> (instead of
    /// returning to the interpreter's dispatch, which would pick the same code): nothing asked the code to stop, and
    /// the method is still what memory holds under the current mappings (see <see cref="ChainValid"/>).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TcChainable(int method)
    {
        uint[] valid = ChainValid;
        return !StopBlock && (uint)method < (uint)valid.Length && valid[method] == TranslationEpoch;
    }

    /// <summary>
    /// Where the innermost host call of translated code into translated code (a guest CALL) expects the guest to
    /// return: a RET to this address returns from the host method instead of chaining on. Only a hint: the caller
    /// checks EIP when the call returns, and a return that goes elsewhere is an ordinary exit.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public uint TcReturnTo;

    /// <summary>Armed by translated code before a slow path that may fault: where the instruction is.</summary>
    internal uint RegionFaultIp;

    /// <summary>Instructions the region retired before that instruction (valid while <see cref="RegionFaulted"/>).</summary>
    internal int RegionFaultRetired;

    internal bool RegionFaulted;

    /// <summary>
    /// Called by translated code before a slow path (TLB miss, handler call) that may fault, with its registers and
    /// pending flags already stored: a fault then unwinds to the interpreter with the faulting instruction's
    /// address and the count of instructions this call retired before it, so it is delivered precisely.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TcFaultPoint(uint eip, int retired)
    {
        RegionFaultIp = eip;
        RegionFaultRetired = retired;
        RegionFaulted = true;
    }

    /// <summary>The slow path completed without a fault.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TcFaultPointPassed() => RegionFaulted = false;

    /// <summary>Condition code <paramref name="cc"/> (the low nibble of Jcc) from the recorded flags.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TcCondition(int cc) => Condition(cc);

    /// <summary>CF from the recorded flags (ADC/SBB carry in).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool TcCarry
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => CF;
    }

    // The flag recorders below store exactly what the corresponding handler in Instructions/ stores.

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TcFlagsAdd(int bits, uint a, uint b, uint result) => SetLazy(FlagOp.Add, bits, a, b, result);

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TcFlagsSub(int bits, uint a, uint b, uint result) => SetLazy(FlagOp.Sub, bits, a, b, result);

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TcFlagsLogic(int bits, uint result) => SetLazy(FlagOp.Logic, bits, 0, 0, result);

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TcFlagsAdc(int bits, uint a, uint b, uint result, uint carry) => SetLazyWithCarry(FlagOp.Adc, bits, a, b, result, carry);

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TcFlagsSbb(int bits, uint a, uint b, uint result, uint borrow) => SetLazyWithCarry(FlagOp.Sbb, bits, a, b, result, borrow);

    /// <summary>INC keeps CF: it is read from the recorded flags before they are replaced.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TcFlagsInc(int bits, uint a, uint result) => SetLazyWithCarry(FlagOp.Inc, bits, a, 1, result, CF ? 1u : 0u);

    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TcFlagsDec(int bits, uint a, uint result) => SetLazyWithCarry(FlagOp.Dec, bits, a, 1, result, CF ? 1u : 0u);

    /// <summary>MUL/IMUL: <paramref name="low"/> is the low half of the product.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void TcFlagsMultiply(int bits, uint low, bool overflow) => Instructions.InstMulDiv.SetMultiplyFlags(this, bits, low, overflow);

    /// <summary>SHL/SHR/SAR by a nonzero count: <paramref name="cf"/> and <paramref name="of"/> are 0 or 1.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void TcFlagsShift(int bits, uint result, uint cf, uint of) => Instructions.InstShift.SetShiftFlags(this, bits, result, cf, of);

    /// <summary>Parity of the low byte (PF set when even).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TcParity(uint value) => Parity(value);
}

/// <summary>
/// The VMM side of a hypercall site in translated PV code (a <c>call</c> into the hypercall page, iret's <c>jmp</c>,
/// a literal <c>int 0x82</c>): performs hypercall <c>number</c> on the processor's current state (EAX = the number,
/// arguments in EBX..EDI, EIP where the interpreter path has it when its int 0x82 has run) without a trap or an
/// exception delivery. It may change any state (EIP/CS for iret, a bounce, a stop request): translated code leaves
/// when EIP is not where it continues or a stop is requested. Implemented by the pv backend.
/// </summary>
public interface IHypercallGate
{
    void Hypercall(X86Cpu cpu, uint number);

    /// <summary>Whether the guest's hypercall page still holds the VMM's stub <paramref name="number"/> at <paramref name="linear"/>.</summary>
    bool IsStub(X86Cpu cpu, uint linear, uint number);
}

public sealed partial class X86Cpu
{
    private const int HypercallVector = 0x82;

    /// <summary>The VMM that performs hypercalls made by translated PV code; null outside pv.</summary>
    public IHypercallGate? HypercallGate { get; set; }

    /// <summary>Hypercalls translated code made as direct calls (the <c>int 0x82</c> it did not execute).</summary>
    public long DirectHypercalls { get; private set; }

    /// <summary>
    /// A direct hypercall from translated code, with registers written through, flags recorded and EIP after the
    /// int 0x82 the site stands for. <paramref name="retiredBeforeBlock"/> is what the calling code retired before
    /// the interpreter block holding that int 0x82 began: the interpreter counts a block when it ends, so during its
    /// hypercall the retired count and the virtual clock stand at the block's start, and the VMM sees the same here
    /// (timer deadlines, the shared-info time and the budget depend on it). Not at CPL 1 (user code), the site is
    /// what int 0x82 is there: a software interrupt the VMM turns into #GP.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void TcHypercall(uint number, int retiredBeforeBlock)
    {
        ulong shown = (ulong)retiredBeforeBlock;
        Retired += shown;
        Clock.Advance(shown * Devices.VirtualClock.NanosecondsPerInstruction);
        try
        {
            if (HypercallGate is not { } gate || Cpl != 1)
            {
                SoftwareInterrupt(HypercallVector, Eip, 2);
                return;
            }

            Counters.SoftwareInterrupts++; // the stub's int 0x82, counted as the interpreter path counts it
            DirectHypercalls++;
            gate.Hypercall(this, number);
        }
        finally
        {
            // The calling code's count is added when it returns, as the interpreter adds a block's.
            Retired -= shown;
            Clock.Rewind(shown * Devices.VirtualClock.NanosecondsPerInstruction);
        }
    }

    /// <summary>Whether a call or jump to <paramref name="linear"/> enters the VMM's stub <paramref name="number"/> (see <see cref="IHypercallGate.IsStub"/>).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool TcIsHypercallStub(uint linear, uint number) => HypercallGate is { } gate && gate.IsStub(this, linear, number);
}
