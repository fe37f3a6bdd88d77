using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Cpu;
using Translator.Machine.Memory;
using Translator.Tests.Shared;
using Translator.Vmm;
using Translator.Vmm.Backends.Hw;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests;

/// <summary>
/// Boots a small assembled guest on the hardware-assisted backend and records every VM exit. The guest starts by
/// loading an IDT the harness placed in low memory, whose handler for vector v reports 0x100 + v through
/// isa-debug-exit, so a test can tell which exception or interrupt reached the guest from the exit code alone.
/// Optional identity paging (4 KiB pages over the first 4 MiB, one page left not-present) is prepared the same way.
/// </summary>
internal sealed class HwHarness
{
    public const uint IdtrAddress = 0x2FF0, IdtBase = 0x3000, HandlerBase = 0x4000;
    public const uint PageDirectory = 0x10000, PageTable = 0x11000, StackTop = 0x8000;

    /// <summary>Not present in the identity mapping (a true page fault).</summary>
    public const uint HolePage = 0x0030_0000;

    public const uint DataPage = 0x0020_0000;

    private readonly MemoryStream _console = new();

    /// <summary>Where the harness's translations are cached (one directory per test process).</summary>
    private static readonly string s_cache = Path.Combine(Path.GetTempPath(), $"hw-harness-{Environment.ProcessId}");

    private HwHarness(Action<Assembler> code, MemoryVirtualization paging, ulong maxInstructions, int memoryMiB, bool translated)
    {
        byte[] image = MultibootImage.Build(a =>
        {
            a.lidt(__[IdtrAddress]);
            a.mov(esp, StackTop);
            code(a);
        });
        Backend = new HardwareAssistedBackend(
            new VmOptions { Backend = BackendKind.HardwareAssisted, Paging = paging, MaxInstructions = maxInstructions, MemoryMiB = memoryMiB },
            _console.WriteByte);
        Backend.Load(image);
        if (translated)
        {
            // The image's code runs as the binary-translation core's code; the IDT handlers placed below are
            // outside the image and stay interpreted.
            Backend.Translated.Attach(VirtualMachine.CacheFor(s_cache).Load(image));
        }

        InstallIdt(Memory);
        InstallIdentityPaging(Memory);
        Backend.ExitObserved += Exits.Add;
    }

    public HardwareAssistedBackend Backend { get; }

    public PhysicalMemory Memory => Backend.Cpu.Mmu.Physical;

    public Vmcs Vmcs => Backend.Vmcs;

    public X86Cpu Cpu => Backend.Cpu;

    public List<VmExitInformation> Exits { get; } = [];

    public byte[] Console => _console.ToArray();

    public static HwHarness Boot(Action<Assembler> code, MemoryVirtualization paging = MemoryVirtualization.NestedPaging,
        ulong maxInstructions = 5_000_000, int memoryMiB = 16, bool translated = false) => new(code, paging, maxInstructions, memoryMiB, translated);

    /// <summary>Under translated execution: the image's code did run translated (so the test saw translated code).</summary>
    public void AssertRanTranslated(bool translated) =>
        Assert.True(!translated || Cpu.Counters.TranslatedInstructions > 0, "no instruction ran in translated code");

    public MachineResult Run() => Backend.Run();

    public VmExitInformation Single(VmExitReason reason) => Assert.Single(Exits, e => e.Reason == reason);

    /// <summary>The debug-exit value of the handler for <paramref name="vector"/>.</summary>
    public static uint HandlerReport(int vector) => 0x100u + (uint)vector;

    /// <summary>Emits: turn on paging with the harness's identity tables.</summary>
    public static void EmitEnablePaging(Assembler a)
    {
        a.mov(eax, PageDirectory);
        a.mov(cr3, eax);
        a.mov(eax, cr0);
        a.or(eax, unchecked((int)0x8000_0000));
        a.mov(cr0, eax);
    }

    internal static void InstallIdt(PhysicalMemory memory)
    {
        for (uint v = 0; v < 48; v++)
        {
            uint handler = HandlerBase + (v * 16);
            memory.Write8(handler, 0xB8);                 // mov eax, 0x100 + v
            memory.Write32(handler + 1, HandlerReport((int)v));
            memory.Write8(handler + 5, 0xE7);             // out 0xF4, eax
            memory.Write8(handler + 6, 0xF4);
            memory.Write8(handler + 7, 0xF4);             // hlt
            memory.Write32(IdtBase + (v * 8), (0x08u << 16) | (handler & 0xFFFF));
            memory.Write32(IdtBase + (v * 8) + 4, (handler & 0xFFFF_0000) | 0x8E00);
        }

        memory.Write16(IdtrAddress, 48 * 8 - 1);
        memory.Write32(IdtrAddress + 2, IdtBase);
    }

    internal static void InstallIdentityPaging(PhysicalMemory memory)
    {
        memory.Write32(PageDirectory, PageTable | 7);
        for (uint page = 0; page < 1024; page++)
        {
            uint address = page << 12;
            memory.Write32(PageTable + (page * 4), address == HolePage ? 0 : address | 7);
        }
    }
}
