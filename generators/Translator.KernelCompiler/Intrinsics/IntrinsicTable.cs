using System;
using System.Collections.Generic;
using Iced.Intel;
using Translator.KernelCompiler.CodeGen;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.Intrinsics;

/// <summary>What an intrinsic's lowering works with: the code, its constant arguments and the image's addresses.</summary>
internal sealed class IntrinsicContext(CodeBuffer code, IReadOnlyList<ulong?> constants, DataAddress interruptTable, DataAddress imageEnd)
{
    public CodeBuffer Code { get; } = code;

    public Assembler A => Code.A;

    public DataAddress InterruptTable { get; } = interruptTable;

    public DataAddress ImageEnd { get; } = imageEnd;

    public ulong Constant(int argument) => constants[argument] ?? 0;
}

/// <summary>
/// One intrinsic: the Translator.Guest method it stands for, whether it is privileged (refused in ring 3 code and, for
/// a paravirtual build, the operation a hypercall replaces), which arguments must be constants, and its bare-metal
/// lowering. Arguments that are not constants arrive in EAX, ECX, EDX, EBX in order (a 64-bit one takes two,
/// low half first); the result goes to EAX, or EDX:EAX.
/// </summary>
internal sealed record IntrinsicDefinition(
    IntrinsicId Id,
    string Method,
    bool Privileged,
    int ConstantArguments,
    Action<IntrinsicContext> BareMetal);

/// <summary>
/// The pv_ops table: one row per privileged or machine-level operation a guest kernel may perform. A paravirtual
/// build adds its lowering (a hypercall or a shared-memory write) beside <see cref="IntrinsicDefinition.BareMetal"/>.
/// </summary>
internal static class IntrinsicTable
{
    private const string CpuClass = "Translator.Guest.Cpu.";
    private const string MemoryClass = "Translator.Guest.Memory.";
    private const string ImageClass = "Translator.Guest.KernelImage.";

    public static readonly IReadOnlyList<IntrinsicDefinition> All = new IntrinsicDefinition[]
    {
        Privileged(IntrinsicId.DisableInterrupts, CpuClass + "DisableInterrupts", c => c.A.cli()),
        Privileged(IntrinsicId.EnableInterrupts, CpuClass + "EnableInterrupts", c => c.A.sti()),
        Privileged(IntrinsicId.Halt, CpuClass + "Halt", c => c.A.hlt()),
        Privileged(IntrinsicId.WaitForInterrupt, CpuClass + "WaitForInterrupt", c => { c.A.sti(); c.A.hlt(); }),
        Privileged(IntrinsicId.In8, CpuClass + "In8", c => { c.A.mov(edx, eax); c.A.@in(al, dx); c.A.movzx(eax, al); }),
        Privileged(IntrinsicId.In16, CpuClass + "In16", c => { c.A.mov(edx, eax); c.A.@in(ax, dx); c.A.movzx(eax, ax); }),
        Privileged(IntrinsicId.In32, CpuClass + "In32", c => { c.A.mov(edx, eax); c.A.@in(eax, dx); }),
        Privileged(IntrinsicId.Out8, CpuClass + "Out8", c => { c.A.mov(edx, eax); c.A.mov(eax, ecx); c.A.@out(dx, al); }),
        Privileged(IntrinsicId.Out16, CpuClass + "Out16", c => { c.A.mov(edx, eax); c.A.mov(eax, ecx); c.A.@out(dx, ax); }),
        Privileged(IntrinsicId.Out32, CpuClass + "Out32", c => { c.A.mov(edx, eax); c.A.mov(eax, ecx); c.A.@out(dx, eax); }),
        Privileged(IntrinsicId.ReadCr0, CpuClass + "ReadCr0", c => c.A.mov(eax, cr0)),
        Privileged(IntrinsicId.ReadCr2, CpuClass + "ReadCr2", c => c.A.mov(eax, cr2)),
        Privileged(IntrinsicId.ReadCr3, CpuClass + "ReadCr3", c => c.A.mov(eax, cr3)),
        Privileged(IntrinsicId.ReadCr4, CpuClass + "ReadCr4", c => c.A.mov(eax, cr4)),
        Privileged(IntrinsicId.WriteCr0, CpuClass + "WriteCr0", c => c.A.mov(cr0, eax)),
        Privileged(IntrinsicId.WriteCr3, CpuClass + "WriteCr3", c => c.A.mov(cr3, eax)),
        Privileged(IntrinsicId.WriteCr4, CpuClass + "WriteCr4", c => c.A.mov(cr4, eax)),
        Privileged(IntrinsicId.InvalidatePage, CpuClass + "InvalidatePage", c => c.A.invlpg(__[eax])),
        Privileged(IntrinsicId.LoadGdt, CpuClass + "LoadGdt", c => PseudoDescriptor(c, load: true, gdt: true)),
        Privileged(IntrinsicId.LoadIdt, CpuClass + "LoadIdt", c => PseudoDescriptor(c, load: true, gdt: false)),
        Privileged(IntrinsicId.LoadTaskRegister, CpuClass + "LoadTaskRegister", c => c.A.ltr(ax)),
        Privileged(IntrinsicId.LoadLdt, CpuClass + "LoadLdt", c => c.A.lldt(ax)),
        Privileged(IntrinsicId.ReloadSegments, CpuClass + "ReloadSegments", ReloadSegments),
        Machine(IntrinsicId.ReadTimestampCounter, CpuClass + "ReadTimestampCounter", c => c.A.rdtsc()),
        Privileged(IntrinsicId.ReadMsr, CpuClass + "ReadMsr", c => { c.A.mov(ecx, eax); c.A.rdmsr(); }),
        Privileged(IntrinsicId.WriteMsr, CpuClass + "WriteMsr", c => { c.A.xchg(eax, ecx); c.A.wrmsr(); }),
        Machine(IntrinsicId.CpuidEax, CpuClass + "CpuidEax", c => Cpuid(c, null)),
        Machine(IntrinsicId.CpuidEbx, CpuClass + "CpuidEbx", c => Cpuid(c, ebx)),
        Machine(IntrinsicId.CpuidEcx, CpuClass + "CpuidEcx", c => Cpuid(c, ecx)),
        Machine(IntrinsicId.CpuidEdx, CpuClass + "CpuidEdx", c => Cpuid(c, edx)),
        Machine(IntrinsicId.Interrupt, CpuClass + "Interrupt", c => c.A.@int((byte)c.Constant(0)), constantArguments: 1 << 0),
        Machine(IntrinsicId.SystemCall, CpuClass + "SystemCall", c => { c.A.mov(ebx, ecx); c.A.mov(ecx, edx); c.A.@int((byte)c.Constant(0)); }, constantArguments: 1 << 0),
        Privileged(IntrinsicId.EnterUserMode, CpuClass + "EnterUserMode", EnterUserMode),
        Machine(IntrinsicId.ReadFlags, CpuClass + "ReadFlags", c => { c.A.pushfd(); c.A.pop(eax); }),
        Machine(IntrinsicId.WriteFlags, CpuClass + "WriteFlags", c => { c.A.push(eax); c.A.popfd(); }),
        Machine(IntrinsicId.ReadCodeSegment, CpuClass + "ReadCodeSegment", c => { c.A.mov(eax, cs); c.A.movzx(eax, ax); }),
        Machine(IntrinsicId.StoreGdtBase, CpuClass + "StoreGdtBase", c => PseudoDescriptor(c, load: false, gdt: true, limit: false)),
        Machine(IntrinsicId.StoreGdtLimit, CpuClass + "StoreGdtLimit", c => PseudoDescriptor(c, load: false, gdt: true, limit: true)),
        Machine(IntrinsicId.StoreIdtBase, CpuClass + "StoreIdtBase", c => PseudoDescriptor(c, load: false, gdt: false, limit: false)),
        Machine(IntrinsicId.StoreIdtLimit, CpuClass + "StoreIdtLimit", c => PseudoDescriptor(c, load: false, gdt: false, limit: true)),
        Machine(IntrinsicId.StoreLdt, CpuClass + "StoreLdt", c => { c.A.xor(eax, eax); c.A.sldt(ax); }),
        Machine(IntrinsicId.StoreTaskRegister, CpuClass + "StoreTaskRegister", c => { c.A.xor(eax, eax); c.A.str(ax); }),
        Machine(IntrinsicId.StoreMachineStatusWord, CpuClass + "StoreMachineStatusWord", c => { c.A.xor(eax, eax); c.A.smsw(ax); }),
        Machine(IntrinsicId.LoadAccessRights, CpuClass + "LoadAccessRights", c => { c.A.mov(ecx, eax); c.A.xor(eax, eax); c.A.lar(eax, ecx); }),
        Machine(IntrinsicId.LoadSegmentLimit, CpuClass + "LoadSegmentLimit", c => { c.A.mov(ecx, eax); c.A.xor(eax, eax); c.A.lsl(eax, ecx); }),
        Machine(IntrinsicId.VerifyRead, CpuClass + "VerifyRead", c => { c.A.verr(ax); c.A.setz(al); c.A.movzx(eax, al); }),
        Machine(IntrinsicId.VerifyWrite, CpuClass + "VerifyWrite", c => { c.A.verw(ax); c.A.setz(al); c.A.movzx(eax, al); }),
        Machine(IntrinsicId.Read8, MemoryClass + "Read8", c => c.A.movzx(eax, __byte_ptr[eax])),
        Machine(IntrinsicId.Read16, MemoryClass + "Read16", c => c.A.movzx(eax, __word_ptr[eax])),
        Machine(IntrinsicId.Read32, MemoryClass + "Read32", c => c.A.mov(eax, __dword_ptr[eax])),
        Machine(IntrinsicId.Write8, MemoryClass + "Write8", c => c.A.mov(__byte_ptr[eax], cl)),
        Machine(IntrinsicId.Write16, MemoryClass + "Write16", c => c.A.mov(__word_ptr[eax], cx)),
        Machine(IntrinsicId.Write32, MemoryClass + "Write32", c => c.A.mov(__dword_ptr[eax], ecx)),
        Privileged(IntrinsicId.ReadPhysical32, MemoryClass + "ReadPhysical32", c => Physical(c, write: false)),
        Privileged(IntrinsicId.WritePhysical32, MemoryClass + "WritePhysical32", c => Physical(c, write: true)),
        Machine(IntrinsicId.Fill32, MemoryClass + "Fill32", c => { c.A.mov(edi, eax); c.A.mov(eax, ecx); c.A.mov(ecx, edx); c.A.rep.stosd(); }),
        Machine(IntrinsicId.Copy, MemoryClass + "Copy", c => { c.A.mov(edi, eax); c.A.mov(esi, ecx); c.A.mov(ecx, edx); c.A.rep.movsb(); }),
        Machine(IntrinsicId.AddressOfArray, MemoryClass + "AddressOf", _ => { }),
        Machine(IntrinsicId.InterruptHandlers, ImageClass + "InterruptHandlers", c => c.Code.MovAddress(eax, c.InterruptTable)),
        Machine(IntrinsicId.ImageEnd, ImageClass + "End", c => c.Code.MovAddress(eax, c.ImageEnd)),
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

    private static IntrinsicDefinition Privileged(IntrinsicId id, string method, Action<IntrinsicContext> bareMetal)
        => new(id, method, true, 0, bareMetal);

    private static IntrinsicDefinition Machine(IntrinsicId id, string method, Action<IntrinsicContext> bareMetal, int constantArguments = 0)
        => new(id, method, false, constantArguments, bareMetal);

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
    private static void ReloadSegments(IntrinsicContext c)
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
        a.iretd();
    }
}
