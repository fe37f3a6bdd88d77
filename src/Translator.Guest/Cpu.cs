using System;

namespace Translator.Guest;

/// <summary>
/// Processor intrinsics: each call compiles to the instruction(s) named in its summary on bare metal (the kernel
/// compiler's <c>IntrinsicTable</c> holds the lowering, beside which a paravirtual lowering can be added).
/// </summary>
public static class Cpu
{
    /// <summary><c>cli</c></summary>
    [Intrinsic] public static void DisableInterrupts() => throw GuestOnlyException.For(nameof(DisableInterrupts));

    /// <summary><c>sti</c></summary>
    [Intrinsic] public static void EnableInterrupts() => throw GuestOnlyException.For(nameof(EnableInterrupts));

    /// <summary><c>hlt</c></summary>
    [Intrinsic] public static void Halt() => throw GuestOnlyException.For(nameof(Halt));

    /// <summary><c>sti; hlt</c>: sleeps until the next interrupt (STI's shadow closes the race).</summary>
    [Intrinsic] public static void WaitForInterrupt() => throw GuestOnlyException.For(nameof(WaitForInterrupt));

    /// <summary><c>in al, dx</c></summary>
    [Intrinsic] public static byte In8(ushort port) => throw GuestOnlyException.For(nameof(In8));

    /// <summary><c>in ax, dx</c></summary>
    [Intrinsic] public static ushort In16(ushort port) => throw GuestOnlyException.For(nameof(In16));

    /// <summary><c>in eax, dx</c></summary>
    [Intrinsic] public static uint In32(ushort port) => throw GuestOnlyException.For(nameof(In32));

    /// <summary><c>out dx, al</c></summary>
    [Intrinsic] public static void Out8(ushort port, byte value) => throw GuestOnlyException.For(nameof(Out8));

    /// <summary><c>out dx, ax</c></summary>
    [Intrinsic] public static void Out16(ushort port, ushort value) => throw GuestOnlyException.For(nameof(Out16));

    /// <summary><c>out dx, eax</c></summary>
    [Intrinsic] public static void Out32(ushort port, uint value) => throw GuestOnlyException.For(nameof(Out32));

    /// <summary><c>mov eax, cr0</c></summary>
    [Intrinsic] public static uint ReadCr0() => throw GuestOnlyException.For(nameof(ReadCr0));

    /// <summary><c>mov eax, cr2</c>: the linear address of the last page fault.</summary>
    [Intrinsic] public static uint ReadCr2() => throw GuestOnlyException.For(nameof(ReadCr2));

    /// <summary><c>mov eax, cr3</c></summary>
    [Intrinsic] public static uint ReadCr3() => throw GuestOnlyException.For(nameof(ReadCr3));

    /// <summary><c>mov eax, cr4</c></summary>
    [Intrinsic] public static uint ReadCr4() => throw GuestOnlyException.For(nameof(ReadCr4));

    /// <summary><c>mov cr0, eax</c></summary>
    [Intrinsic] public static void WriteCr0(uint value) => throw GuestOnlyException.For(nameof(WriteCr0));

    /// <summary><c>mov cr3, eax</c>: switches address space and flushes the TLB.</summary>
    [Intrinsic] public static void WriteCr3(uint value) => throw GuestOnlyException.For(nameof(WriteCr3));

    /// <summary><c>mov cr4, eax</c></summary>
    [Intrinsic] public static void WriteCr4(uint value) => throw GuestOnlyException.For(nameof(WriteCr4));

    /// <summary><c>invlpg [eax]</c></summary>
    [Intrinsic] public static void InvalidatePage(uint linearAddress) => throw GuestOnlyException.For(nameof(InvalidatePage));

    /// <summary><c>lgdt</c> with a pseudo-descriptor built from <paramref name="baseAddress"/> and <paramref name="limit"/>.</summary>
    [Intrinsic] public static void LoadGdt(uint baseAddress, ushort limit) => throw GuestOnlyException.For(nameof(LoadGdt));

    /// <summary><c>lidt</c> with a pseudo-descriptor built from <paramref name="baseAddress"/> and <paramref name="limit"/>.</summary>
    [Intrinsic] public static void LoadIdt(uint baseAddress, ushort limit) => throw GuestOnlyException.For(nameof(LoadIdt));

    /// <summary><c>ltr ax</c></summary>
    [Intrinsic] public static void LoadTaskRegister(ushort selector) => throw GuestOnlyException.For(nameof(LoadTaskRegister));

    /// <summary><c>lldt ax</c></summary>
    [Intrinsic] public static void LoadLdt(ushort selector) => throw GuestOnlyException.For(nameof(LoadLdt));

    /// <summary>A far jump to <paramref name="codeSelector"/>, then DS, ES, FS, GS and SS loaded with <paramref name="dataSelector"/>.</summary>
    [Intrinsic] public static void ReloadSegments(ushort codeSelector, ushort dataSelector) => throw GuestOnlyException.For(nameof(ReloadSegments));

    /// <summary><c>rdtsc</c></summary>
    [Intrinsic] public static ulong ReadTimestampCounter() => throw GuestOnlyException.For(nameof(ReadTimestampCounter));

    /// <summary><c>rdmsr</c></summary>
    [Intrinsic] public static ulong ReadMsr(uint index) => throw GuestOnlyException.For(nameof(ReadMsr));

    /// <summary><c>wrmsr</c></summary>
    [Intrinsic] public static void WriteMsr(uint index, ulong value) => throw GuestOnlyException.For(nameof(WriteMsr));

    /// <summary><c>cpuid</c> (ECX = 0), returning EAX.</summary>
    [Intrinsic] public static uint CpuidEax(uint leaf) => throw GuestOnlyException.For(nameof(CpuidEax));

    /// <summary><c>cpuid</c> (ECX = 0), returning EBX.</summary>
    [Intrinsic] public static uint CpuidEbx(uint leaf) => throw GuestOnlyException.For(nameof(CpuidEbx));

    /// <summary><c>cpuid</c> (ECX = 0), returning ECX.</summary>
    [Intrinsic] public static uint CpuidEcx(uint leaf) => throw GuestOnlyException.For(nameof(CpuidEcx));

    /// <summary><c>cpuid</c> (ECX = 0), returning EDX.</summary>
    [Intrinsic] public static uint CpuidEdx(uint leaf) => throw GuestOnlyException.For(nameof(CpuidEdx));

    /// <summary><c>int n</c>; <paramref name="vector"/> must be a constant.</summary>
    [Intrinsic] public static void Interrupt(byte vector) => throw GuestOnlyException.For(nameof(Interrupt));

    /// <summary>
    /// A system call through a gate: EAX = <paramref name="function"/>, EBX = <paramref name="argument1"/>,
    /// ECX = <paramref name="argument2"/>, <c>int vector</c>, and the handler's EAX comes back.
    /// </summary>
    [Intrinsic] public static uint SystemCall(byte vector, uint function, uint argument1, uint argument2) => throw GuestOnlyException.For(nameof(SystemCall));

    /// <summary>
    /// Leaves ring 0 for good: IRET to <paramref name="entry"/> at ring 3 on <paramref name="stackTop"/>, interrupts
    /// enabled, with DS/ES/FS/GS/SS = <paramref name="dataSelector"/>.
    /// </summary>
    [Intrinsic] public static void EnterUserMode(uint entry, uint stackTop, ushort codeSelector, ushort dataSelector) => throw GuestOnlyException.For(nameof(EnterUserMode));

    /// <summary><c>pushfd; pop eax</c></summary>
    [Intrinsic] public static uint ReadFlags() => throw GuestOnlyException.For(nameof(ReadFlags));

    /// <summary><c>push eax; popfd</c> (at ring 3 IOPL and IF changes are silently dropped: a Popek–Goldberg hole).</summary>
    [Intrinsic] public static void WriteFlags(uint value) => throw GuestOnlyException.For(nameof(WriteFlags));

    /// <summary><c>mov ax, cs</c></summary>
    [Intrinsic] public static ushort ReadCodeSegment() => throw GuestOnlyException.For(nameof(ReadCodeSegment));

    /// <summary><c>sgdt</c>, the base half.</summary>
    [Intrinsic] public static uint StoreGdtBase() => throw GuestOnlyException.For(nameof(StoreGdtBase));

    /// <summary><c>sgdt</c>, the limit half.</summary>
    [Intrinsic] public static ushort StoreGdtLimit() => throw GuestOnlyException.For(nameof(StoreGdtLimit));

    /// <summary><c>sidt</c>, the base half.</summary>
    [Intrinsic] public static uint StoreIdtBase() => throw GuestOnlyException.For(nameof(StoreIdtBase));

    /// <summary><c>sidt</c>, the limit half.</summary>
    [Intrinsic] public static ushort StoreIdtLimit() => throw GuestOnlyException.For(nameof(StoreIdtLimit));

    /// <summary><c>sldt ax</c></summary>
    [Intrinsic] public static ushort StoreLdt() => throw GuestOnlyException.For(nameof(StoreLdt));

    /// <summary><c>str ax</c></summary>
    [Intrinsic] public static ushort StoreTaskRegister() => throw GuestOnlyException.For(nameof(StoreTaskRegister));

    /// <summary><c>smsw ax</c></summary>
    [Intrinsic] public static ushort StoreMachineStatusWord() => throw GuestOnlyException.For(nameof(StoreMachineStatusWord));

    /// <summary><c>lar</c>: the access rights of <paramref name="selector"/>, or 0 when the CPU refuses (ZF clear).</summary>
    [Intrinsic] public static uint LoadAccessRights(ushort selector) => throw GuestOnlyException.For(nameof(LoadAccessRights));

    /// <summary><c>lsl</c>: the limit of <paramref name="selector"/>, or 0 when the CPU refuses (ZF clear).</summary>
    [Intrinsic] public static uint LoadSegmentLimit(ushort selector) => throw GuestOnlyException.For(nameof(LoadSegmentLimit));

    /// <summary><c>verr</c>: whether the segment is readable from the current privilege level.</summary>
    [Intrinsic] public static bool VerifyRead(ushort selector) => throw GuestOnlyException.For(nameof(VerifyRead));

    /// <summary><c>verw</c>: whether the segment is writable from the current privilege level.</summary>
    [Intrinsic] public static bool VerifyWrite(ushort selector) => throw GuestOnlyException.For(nameof(VerifyWrite));
}
