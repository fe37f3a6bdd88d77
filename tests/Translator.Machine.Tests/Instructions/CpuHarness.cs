using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Devices;
using Translator.Machine.Execution;
using Translator.Machine.Memory;

namespace Translator.Machine.Tests.Instructions;

/// <summary>
/// A bare CPU + interpreter with just enough system state to run assembled snippets: a flat GDT, an IDT whose
/// every vector lands on its own HLT (so a test can tell which exception was raised), a stack, and optional
/// identity paging with one page left unmapped. Snippets end with HLT; <see cref="Run"/> returns when the CPU halts.
/// </summary>
internal sealed class CpuHarness
{
    public const uint GdtBase = 0x0800, IdtBase = 0x1000, HandlerBase = 0x2000;
    public const uint PageDirectory = 0x3000, PageTable = 0x4000;
    public const uint CodeBase = 0x10000, Data = 0x20000, StackTop = 0x9000;

    /// <summary>With <see cref="EnablePaging"/>, this page is mapped not-present.</summary>
    public const uint HolePage = 0x21000;

    public PhysicalMemory Memory { get; } = new(4);

    public IoBus Io { get; } = new();

    public X86Cpu Cpu { get; }

    public Interpreter Interpreter { get; }

    public CpuHarness(CpuFeatures features = CpuFeatures.None)
    {
        Cpu = new X86Cpu(Memory, Io, new VirtualClock()) { Features = features };
        Interpreter = new Interpreter(Cpu);

        // GDT: null, flat 32-bit code (0x08), flat data (0x10).
        Memory.Write32(GdtBase + 8, 0x0000_FFFF);
        Memory.Write32(GdtBase + 12, 0x00CF_9A00);
        Memory.Write32(GdtBase + 16, 0x0000_FFFF);
        Memory.Write32(GdtBase + 20, 0x00CF_9200);
        Cpu.GdtBase = GdtBase;
        Cpu.GdtLimit = 0x17;

        // IDT: vector v -> interrupt gate to HandlerBase + 2v, where a HLT waits.
        for (uint v = 0; v < 32; v++)
        {
            uint handler = HandlerBase + v * 2;
            Memory.Write32(IdtBase + v * 8, (0x08u << 16) | (handler & 0xFFFF));
            Memory.Write32(IdtBase + v * 8 + 4, (handler & 0xFFFF_0000) | 0x8E00);
            Memory.Write8(handler, 0xF4);
        }

        Cpu.IdtBase = IdtBase;
        Cpu.IdtLimit = 32 * 8 - 1;
        Cpu.SetRegister(X86Cpu.ESP, StackTop);
    }

    /// <summary>Identity-maps the first 4 MiB with 4 KiB pages, except <see cref="HolePage"/>.</summary>
    public void EnablePaging()
    {
        Memory.Write32(PageDirectory, PageTable | 0x7);
        for (uint page = 0; page < 1024; page++)
        {
            Memory.Write32(PageTable + page * 4, page << 12 == HolePage ? 0 : (page << 12) | 0x7);
        }

        Cpu.Cr3 = PageDirectory;
        Cpu.Cr0 |= 0x8000_0000;
        Cpu.SyncMmu();
    }

    /// <summary>Makes <see cref="HolePage"/> present (and drops its stale TLB entry, as INVLPG would).</summary>
    public void MapHole()
    {
        Memory.Write32(PageTable + (HolePage >> 12) * 4, HolePage | 0x7);
        Cpu.Mmu.FlushPage(HolePage);
    }

    /// <summary>Assembles <paramref name="build"/> (plus a final HLT) at <see cref="CodeBase"/> and returns label addresses on request.</summary>
    public AssemblerResult Load(Action<Assembler> build)
    {
        var asm = new Assembler(32);
        build(asm);
        asm.hlt();
        var stream = new MemoryStream();
        AssemblerResult result = asm.Assemble(new StreamCodeWriter(stream), CodeBase, BlockEncoderOptions.ReturnNewInstructionOffsets);
        byte[] code = stream.ToArray();
        code.CopyTo(Memory.Span(CodeBase, code.Length));
        Cpu.Eip = CodeBase;
        return result;
    }

    /// <summary>Runs until HLT (or fails the test after a generous instruction budget).</summary>
    public void Run(ulong maxInstructions = 1_000_000)
    {
        Cpu.Halted = false;
        ExecutionStop stop = Interpreter.Run(Cpu.Clock.Now + maxInstructions);
        if (stop != ExecutionStop.Halted)
        {
            throw new InvalidOperationException($"snippet did not halt ({stop}) at EIP 0x{Cpu.Eip:X8}");
        }
    }

    public X86Cpu Execute(Action<Assembler> build)
    {
        Load(build);
        Run();
        return Cpu;
    }

    /// <summary>The exception vector whose handler the CPU halted in, or -1 when the snippet ran to its own HLT.</summary>
    public int RaisedVector =>
        Cpu.Eip > HandlerBase && Cpu.Eip <= HandlerBase + 64 ? (int)(Cpu.Eip - HandlerBase - 1) / 2 : -1;

    /// <summary>The faulting EIP saved in the exception frame (which has an error code below it for #PF).</summary>
    public uint FaultEip(bool hasErrorCode) => Memory.Read32(Cpu.GetRegister(X86Cpu.ESP) + (hasErrorCode ? 4u : 0u));

    public uint FaultErrorCode => Memory.Read32(Cpu.GetRegister(X86Cpu.ESP));

    public uint Reg(int index) => Cpu.GetRegister(index);

    public uint Flags => Cpu.EFlagsValue;
}
