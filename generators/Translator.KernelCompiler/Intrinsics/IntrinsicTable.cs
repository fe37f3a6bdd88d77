using System;
using System.Collections.Generic;
using Iced.Intel;
using Translator.KernelCompiler.CodeGen;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.Intrinsics;

/// <summary>What an intrinsic's lowering works with: the code, its constant arguments and the image's addresses.</summary>
internal sealed class IntrinsicContext(CodeBuffer code, IReadOnlyList<ulong?> constants, ImageSymbols symbols)
{
    public CodeBuffer Code { get; } = code;

    public Assembler A => Code.A;

    public ImageSymbols Symbols { get; } = symbols;

    public DataAddress InterruptTable => Symbols.InterruptTable;

    public DataAddress ImageEnd => Symbols.ImageEnd;

    public ulong Constant(int argument) => constants[argument] ?? 0;
}

/// <summary>
/// An intrinsic's paravirtual form: instructions (<see cref="Lowering"/>, never a privileged one), or a routine of the
/// guest library's <c>Paravirt</c> class the call becomes (<see cref="Routine"/>, its name and parameter types), or
/// none (<see cref="NoFormReason"/>: the paravirtual build reports the call).
/// </summary>
internal sealed record ParavirtualForm(Action<IntrinsicContext>? Lowering, string? Routine, string? NoFormReason)
{
    public static ParavirtualForm Inline(Action<IntrinsicContext> lowering) => new(lowering, null, null);

    /// <summary>The call becomes <c>Paravirt.<paramref name="signature"/></c> (name and parameter types, as a documentation id).</summary>
    public static ParavirtualForm Call(string signature) => new(null, "M:Translator.Guest.Paravirt." + signature, null);

    public static ParavirtualForm None(string reason) => new(null, null, reason);
}

/// <summary>
/// One intrinsic: the Translator.Guest method it stands for, whether it is privileged (refused in ring 3 code and, for
/// a paravirtual build, the operation a hypercall replaces), which arguments must be constants, its bare-metal
/// lowering and its paravirtual form. Arguments that are not constants arrive in EAX, ECX, EDX, EBX in order (a 64-bit
/// one takes two, low half first); the result goes to EAX, or EDX:EAX.
/// </summary>
internal sealed record IntrinsicDefinition(
    IntrinsicId Id,
    string Method,
    bool Privileged,
    int ConstantArguments,
    Action<IntrinsicContext> BareMetal,
    ParavirtualForm Paravirtual);

/// <summary>
/// The pv_ops table: one row per privileged or machine-level operation a guest kernel may perform, with its bare-metal
/// lowering (the instruction) and beside it its paravirtual form (a hypercall, a shared-memory write, a recorded
/// value, or a routine of the guest library's Paravirt class; see docs/dsl.md, "The PV build").
/// </summary>
internal static class IntrinsicTable
{
    private const string CpuClass = "Translator.Guest.Cpu.";
    private const string MemoryClass = "Translator.Guest.Memory.";
    private const string ImageClass = "Translator.Guest.KernelImage.";

    private static readonly ParavirtualForm Same = new(null, null, null);

    public static readonly IReadOnlyList<IntrinsicDefinition> All = new IntrinsicDefinition[]
    {
        Privileged(IntrinsicId.DisableInterrupts, CpuClass + "DisableInterrupts", c => c.A.cli(), Inline(PvLowering.DisableEvents)),
        Privileged(IntrinsicId.EnableInterrupts, CpuClass + "EnableInterrupts", c => c.A.sti(), Inline(PvLowering.EnableEvents)),
        Privileged(IntrinsicId.Halt, CpuClass + "Halt", c => c.A.hlt(), Inline(PvLowering.Halt)),
        Privileged(IntrinsicId.WaitForInterrupt, CpuClass + "WaitForInterrupt", c => { c.A.sti(); c.A.hlt(); }, Inline(PvLowering.Block)),
        Privileged(IntrinsicId.In8, CpuClass + "In8", c => { c.A.mov(edx, eax); c.A.@in(al, dx); c.A.movzx(eax, al); }, Inline(c => PvLowering.PortRead(c, 1))),
        Privileged(IntrinsicId.In16, CpuClass + "In16", c => { c.A.mov(edx, eax); c.A.@in(ax, dx); c.A.movzx(eax, ax); }, Inline(c => PvLowering.PortRead(c, 2))),
        Privileged(IntrinsicId.In32, CpuClass + "In32", c => { c.A.mov(edx, eax); c.A.@in(eax, dx); }, Inline(c => PvLowering.PortRead(c, 4))),
        Privileged(IntrinsicId.Out8, CpuClass + "Out8", c => { c.A.mov(edx, eax); c.A.mov(eax, ecx); c.A.@out(dx, al); }, Inline(c => PvLowering.PortWrite(c, 1))),
        Privileged(IntrinsicId.Out16, CpuClass + "Out16", c => { c.A.mov(edx, eax); c.A.mov(eax, ecx); c.A.@out(dx, ax); }, Inline(c => PvLowering.PortWrite(c, 2))),
        Privileged(IntrinsicId.Out32, CpuClass + "Out32", c => { c.A.mov(edx, eax); c.A.mov(eax, ecx); c.A.@out(dx, eax); }, Inline(c => PvLowering.PortWrite(c, 4))),
        Privileged(IntrinsicId.ReadCr0, CpuClass + "ReadCr0", c => c.A.mov(eax, cr0), Inline(c => PvLowering.Load(c, ParavirtRuntime.Cr0))),
        Privileged(IntrinsicId.ReadCr2, CpuClass + "ReadCr2", c => c.A.mov(eax, cr2), Inline(PvLowering.ReadCr2)),
        Privileged(IntrinsicId.ReadCr3, CpuClass + "ReadCr3", c => c.A.mov(eax, cr3), Inline(c => PvLowering.Load(c, ParavirtRuntime.Cr3))),
        Privileged(IntrinsicId.ReadCr4, CpuClass + "ReadCr4", c => c.A.mov(eax, cr4), Inline(c => PvLowering.Load(c, ParavirtRuntime.Cr4))),
        Privileged(IntrinsicId.WriteCr0, CpuClass + "WriteCr0", c => c.A.mov(cr0, eax), Call("WriteCr0(System.UInt32)")),
        Privileged(IntrinsicId.WriteCr3, CpuClass + "WriteCr3", c => c.A.mov(cr3, eax), Call("WriteCr3(System.UInt32)")),
        Privileged(IntrinsicId.WriteCr4, CpuClass + "WriteCr4", c => c.A.mov(cr4, eax), Inline(c => PvLowering.Store(c, ParavirtRuntime.Cr4))),
        Privileged(IntrinsicId.InvalidatePage, CpuClass + "InvalidatePage", c => c.A.invlpg(__[eax]), Call("InvalidatePage(System.UInt32)")),
        Privileged(IntrinsicId.LoadGdt, CpuClass + "LoadGdt", c => PseudoDescriptor(c, load: true, gdt: true), Call("LoadGdt(System.UInt32,System.UInt16)")),
        Privileged(IntrinsicId.LoadIdt, CpuClass + "LoadIdt", c => PseudoDescriptor(c, load: true, gdt: false), Call("LoadIdt(System.UInt32,System.UInt16)")),
        Privileged(IntrinsicId.LoadTaskRegister, CpuClass + "LoadTaskRegister", c => c.A.ltr(ax), Call("LoadTaskRegister(System.UInt16)")),
        Privileged(IntrinsicId.LoadLdt, CpuClass + "LoadLdt", c => c.A.lldt(ax), Call("LoadLdt(System.UInt16)")),
        Privileged(IntrinsicId.ReloadSegments, CpuClass + "ReloadSegments", ReloadSegments, Inline(PvLowering.ReloadSegments)),
        Machine(IntrinsicId.ReadTimestampCounter, CpuClass + "ReadTimestampCounter", c => c.A.rdtsc(), Same),
        Privileged(IntrinsicId.ReadMsr, CpuClass + "ReadMsr", c => { c.A.mov(ecx, eax); c.A.rdmsr(); }, None("a PV guest has no model-specific registers")),
        Privileged(IntrinsicId.WriteMsr, CpuClass + "WriteMsr", c => { c.A.xchg(eax, ecx); c.A.wrmsr(); }, None("a PV guest has no model-specific registers")),
        Machine(IntrinsicId.CpuidEax, CpuClass + "CpuidEax", c => Cpuid(c, null), Same),
        Machine(IntrinsicId.CpuidEbx, CpuClass + "CpuidEbx", c => Cpuid(c, ebx), Same),
        Machine(IntrinsicId.CpuidEcx, CpuClass + "CpuidEcx", c => Cpuid(c, ecx), Same),
        Machine(IntrinsicId.CpuidEdx, CpuClass + "CpuidEdx", c => Cpuid(c, edx), Same),
        Machine(IntrinsicId.Interrupt, CpuClass + "Interrupt", c => c.A.@int((byte)c.Constant(0)), Same, constantArguments: 1 << 0),
        Machine(IntrinsicId.SystemCall, CpuClass + "SystemCall", c => { c.A.mov(ebx, ecx); c.A.mov(ecx, edx); c.A.@int((byte)c.Constant(0)); }, Same, constantArguments: 1 << 0),
        Privileged(IntrinsicId.EnterUserMode, CpuClass + "EnterUserMode", EnterUserMode, Inline(PvLowering.EnterUserMode)),
        Machine(IntrinsicId.ReadFlags, CpuClass + "ReadFlags", c => { c.A.pushfd(); c.A.pop(eax); }, Inline(PvLowering.ReadFlags)),
        Machine(IntrinsicId.WriteFlags, CpuClass + "WriteFlags", c => { c.A.push(eax); c.A.popfd(); }, Inline(PvLowering.WriteFlags)),
        Machine(IntrinsicId.ReadCodeSegment, CpuClass + "ReadCodeSegment", c => { c.A.mov(eax, cs); c.A.movzx(eax, ax); }, Inline(PvLowering.ReadCodeSegment)),
        Machine(IntrinsicId.StoreGdtBase, CpuClass + "StoreGdtBase", c => PseudoDescriptor(c, load: false, gdt: true, limit: false), Inline(c => PvLowering.Load(c, ParavirtRuntime.GdtBase))),
        Machine(IntrinsicId.StoreGdtLimit, CpuClass + "StoreGdtLimit", c => PseudoDescriptor(c, load: false, gdt: true, limit: true), Inline(c => PvLowering.Load(c, ParavirtRuntime.GdtLimit))),
        Machine(IntrinsicId.StoreIdtBase, CpuClass + "StoreIdtBase", c => PseudoDescriptor(c, load: false, gdt: false, limit: false), Inline(c => PvLowering.Load(c, ParavirtRuntime.IdtBase))),
        Machine(IntrinsicId.StoreIdtLimit, CpuClass + "StoreIdtLimit", c => PseudoDescriptor(c, load: false, gdt: false, limit: true), Inline(c => PvLowering.Load(c, ParavirtRuntime.IdtLimit))),
        Machine(IntrinsicId.StoreLdt, CpuClass + "StoreLdt", c => { c.A.xor(eax, eax); c.A.sldt(ax); }, Inline(c => PvLowering.Load(c, ParavirtRuntime.Ldt))),
        Machine(IntrinsicId.StoreTaskRegister, CpuClass + "StoreTaskRegister", c => { c.A.xor(eax, eax); c.A.str(ax); }, Inline(c => PvLowering.Load(c, ParavirtRuntime.TaskRegister))),
        Machine(IntrinsicId.StoreMachineStatusWord, CpuClass + "StoreMachineStatusWord", c => { c.A.xor(eax, eax); c.A.smsw(ax); }, Inline(PvLowering.StoreMachineStatusWord)),
        Machine(IntrinsicId.LoadAccessRights, CpuClass + "LoadAccessRights", c => { c.A.mov(ecx, eax); c.A.xor(eax, eax); c.A.lar(eax, ecx); }, Inline(PvLowering.LoadAccessRights)),
        Machine(IntrinsicId.LoadSegmentLimit, CpuClass + "LoadSegmentLimit", c => { c.A.mov(ecx, eax); c.A.xor(eax, eax); c.A.lsl(eax, ecx); }, Same),
        Machine(IntrinsicId.VerifyRead, CpuClass + "VerifyRead", c => { c.A.verr(ax); c.A.setz(al); c.A.movzx(eax, al); }, Same),
        Machine(IntrinsicId.VerifyWrite, CpuClass + "VerifyWrite", c => { c.A.verw(ax); c.A.setz(al); c.A.movzx(eax, al); }, Same),
        Machine(IntrinsicId.Read8, MemoryClass + "Read8", c => c.A.movzx(eax, __byte_ptr[eax]), Same),
        Machine(IntrinsicId.Read16, MemoryClass + "Read16", c => c.A.movzx(eax, __word_ptr[eax]), Same),
        Machine(IntrinsicId.Read32, MemoryClass + "Read32", c => c.A.mov(eax, __dword_ptr[eax]), Same),
        Machine(IntrinsicId.Write8, MemoryClass + "Write8", c => c.A.mov(__byte_ptr[eax], cl), Same),
        Machine(IntrinsicId.Write16, MemoryClass + "Write16", c => c.A.mov(__word_ptr[eax], cx), Same),
        Machine(IntrinsicId.Write32, MemoryClass + "Write32", c => c.A.mov(__dword_ptr[eax], ecx), Same),
        Privileged(IntrinsicId.ReadPhysical32, MemoryClass + "ReadPhysical32", c => Physical(c, write: false), None("a PV guest cannot turn paging off")),
        Privileged(IntrinsicId.WritePhysical32, MemoryClass + "WritePhysical32", c => Physical(c, write: true), None("a PV guest cannot turn paging off")),
        Machine(IntrinsicId.Fill32, MemoryClass + "Fill32", c => { c.A.mov(edi, eax); c.A.mov(eax, ecx); c.A.mov(ecx, edx); c.A.rep.stosd(); }, Same),
        Machine(IntrinsicId.Copy, MemoryClass + "Copy", c => { c.A.mov(edi, eax); c.A.mov(esi, ecx); c.A.mov(ecx, edx); c.A.rep.movsb(); }, Same),
        Machine(IntrinsicId.AddressOfArray, MemoryClass + "AddressOf", _ => { }, Same),
        Machine(IntrinsicId.InterruptHandlers, ImageClass + "InterruptHandlers", c => c.Code.MovAddress(eax, c.InterruptTable), Same),
        Machine(IntrinsicId.ImageEnd, ImageClass + "End", c => c.Code.MovAddress(eax, c.ImageEnd), Inline(PvLowering.ImageEnd)),

        // The start routine keeps what the boot loader left in EBX and EAX; a PV guest is started by Xen's start info
        // instead, so its build reads 0 for both (no magic: no multiboot information).
        Machine(IntrinsicId.MultibootInfo, ImageClass + "MultibootInfo", c => BootRegister(c, RuntimeRoutines.BootInfoOffset), Inline(c => c.A.xor(eax, eax))),
        Machine(IntrinsicId.MultibootMagic, ImageClass + "MultibootMagic", c => BootRegister(c, RuntimeRoutines.BootMagicOffset), Inline(c => c.A.xor(eax, eax))),
    };

    private static readonly Dictionary<string, IntrinsicDefinition> s_byMethod = BuildIndex();
    private static readonly Dictionary<IntrinsicId, IntrinsicDefinition> s_byId = BuildIdIndex();

    public static IntrinsicDefinition Get(IntrinsicId id) => s_byId[id];

    /// <summary>The intrinsic a Translator.Guest method (by its containing type's full name and its name) stands for.</summary>
    public static IntrinsicDefinition? Find(string qualifiedName)
        => s_byMethod.TryGetValue(qualifiedName, out IntrinsicDefinition? definition) ? definition : null;

    private static Dictionary<string, IntrinsicDefinition> BuildIndex()
    {
        var index = new Dictionary<string, IntrinsicDefinition>(StringComparer.Ordinal);
        foreach (IntrinsicDefinition definition in All)
        {
            index[definition.Method] = definition;
        }

        return index;
    }

    private static Dictionary<IntrinsicId, IntrinsicDefinition> BuildIdIndex()
    {
        var index = new Dictionary<IntrinsicId, IntrinsicDefinition>();
        foreach (IntrinsicDefinition definition in All)
        {
            index[definition.Id] = definition;
        }

        return index;
    }

    private static IntrinsicDefinition Privileged(IntrinsicId id, string method, Action<IntrinsicContext> bareMetal, ParavirtualForm paravirtual)
        => new(id, method, true, 0, bareMetal, paravirtual);

    private static IntrinsicDefinition Machine(IntrinsicId id, string method, Action<IntrinsicContext> bareMetal, ParavirtualForm paravirtual, int constantArguments = 0)
        => new(id, method, false, constantArguments, bareMetal, paravirtual);

    private static ParavirtualForm Inline(Action<IntrinsicContext> lowering) => ParavirtualForm.Inline(lowering);

    private static ParavirtualForm Call(string signature) => ParavirtualForm.Call(signature);

    private static ParavirtualForm None(string reason) => ParavirtualForm.None(reason);

    /// <summary>The lowering of <paramref name="definition"/> in <paramref name="paravirtual"/> builds (the bare-metal one where the PV form is the same).</summary>
    public static Action<IntrinsicContext> Lowering(IntrinsicDefinition definition, bool paravirtual)
        => paravirtual && definition.Paravirtual.Lowering is Action<IntrinsicContext> pv ? pv : definition.BareMetal;

    /// <summary>One of the boot registers the start routine saved (see <see cref="RuntimeRoutines.EmitStart"/>).</summary>
    private static void BootRegister(IntrinsicContext c, int offset)
    {
        c.Code.MovAddress(eax, c.Symbols.BootRegisters);
        c.A.mov(eax, __dword_ptr[eax + offset]);
    }

    /// <summary>LGDT/LIDT/SGDT/SIDT through a 6-byte pseudo-descriptor on the stack (limit at +0, base at +2).</summary>
    private static void PseudoDescriptor(IntrinsicContext c, bool load, bool gdt, bool limit = false)
    {
        Assembler a = c.A;
        a.sub(esp, 8);
        if (load)
        {
            a.mov(__dword_ptr[esp + 2], eax);
            a.mov(__word_ptr[esp], cx);
            if (gdt)
            {
                a.lgdt(__[esp]);
            }
            else
            {
                a.lidt(__[esp]);
            }
        }
        else
        {
            if (gdt)
            {
                a.sgdt(__[esp]);
            }
            else
            {
                a.sidt(__[esp]);
            }

            if (limit)
            {
                a.movzx(eax, __word_ptr[esp]);
            }
            else
            {
                a.mov(eax, __dword_ptr[esp + 2]);
            }
        }

        a.add(esp, 8);
    }

    /// <summary>Physical access on bare metal: CR0.PG off for one access (EAX address, ECX value), interrupts off.</summary>
    private static void Physical(IntrinsicContext c, bool write)
    {
        Assembler a = c.A;
        a.pushfd();
        a.cli();
        a.mov(edx, cr0);
        a.push(edx);
        a.and(edx, 0x7FFF_FFFF);
        a.mov(cr0, edx);
        if (write)
        {
            a.mov(__dword_ptr[eax], ecx);
        }
        else
        {
            a.mov(eax, __dword_ptr[eax]);
        }

        a.pop(edx);
        a.mov(cr0, edx);
        a.popfd();
    }

    private static void Cpuid(IntrinsicContext c, AssemblerRegister32? result)
    {
        c.A.xor(ecx, ecx);
        c.A.cpuid();
        if (result is AssemblerRegister32 register)
        {
            c.A.mov(eax, register);
        }
    }

    /// <summary>A far return reloads CS (EAX) at the next instruction, then every data segment takes ECX.</summary>
    internal static void ReloadSegments(IntrinsicContext c)
    {
        Assembler a = c.A;
        Label reloaded = c.Code.NewLabel();
        a.push(eax);
        c.Code.MovCodeAddress(edx, reloaded);
        a.push(edx);
        a.retf();
        c.Code.Bind(reloaded);
        a.mov(ds, cx);
        a.mov(es, cx);
        a.mov(fs, cx);
        a.mov(gs, cx);
        a.mov(ss, cx);
    }

    /// <summary>EAX entry, ECX stack top, EDX code selector, EBX data selector: an IRET frame to ring 3 with IF set.</summary>
    private static void EnterUserMode(IntrinsicContext c)
    {
        PushUserModeFrame(c);
        c.A.iretd();
    }

    /// <summary>EnterUserMode's data segments loaded and its IRET frame pushed (the PV build returns through HYPERVISOR_iret).</summary>
    internal static void PushUserModeFrame(IntrinsicContext c)
    {
        Assembler a = c.A;
        a.mov(ds, bx);
        a.mov(es, bx);
        a.mov(fs, bx);
        a.mov(gs, bx);
        a.push(ebx);
        a.push(ecx);
        a.pushfd();
        a.or(__dword_ptr[esp], 0x200);
        a.push(edx);
        a.push(eax);
    }
}
