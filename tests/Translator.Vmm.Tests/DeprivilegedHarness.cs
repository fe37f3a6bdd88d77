using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Memory;
using Translator.Tests.Shared;
using Translator.Vmm.Backends;
using Translator.Vmm.Backends.Deprivileged;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests;

/// <summary>
/// Runs a snippet of guest code at ring 0 or at ring 3 of a small protected-mode kernel, on any backend, and keeps
/// what the guest could observe: the result area it stored into, its kernel stacks (where exception frames land),
/// its console and its exit code. The kernel loads its own GDT (kernel and user segments, a TSS), the
/// <see cref="HwHarness"/> IDT (vector v reports 0x100 + v through isa-debug-exit; vector 0x30 ends a ring-3 snippet,
/// vector 0x40 records its frame and returns), then runs the snippet at the chosen ring.
/// </summary>
internal static class DeprivilegedHarness
{
    public const uint Gdt = 0x5000, Gdtr = 0x5FF0, Tss = 0x5100, Results = 0x6000, FarPointer = 0x6080;
    public const uint RingZeroStack = 0x7000, BootStack = 0x8000, UserStack = 0x9000, FrameRecorder = 0x4800, EndOfSnippet = 0x4700;
    public const ushort KernelCode = 0x08, KernelData = 0x10, UserCode = 0x1B, UserData = 0x23, TaskState = 0x28;

    /// <summary>What the guest left behind: result area, kernel stacks, console and exit code.</summary>
    public sealed record Observation(byte[] Results, byte[] Stacks, byte[] Console, int ExitCode, string? Message, long InstructionsInRegions = 0);

    /// <remarks>bt runs without translated code unless <paramref name="translation"/> says otherwise: these tests are about the VMM.</remarks>
    public static Observation Run(BackendKind backend, bool ring3, Action<Assembler> snippet, ulong maxInstructions = 2_000_000,
        TranslationSource translation = TranslationSource.InterpreterOnly)
    {
        byte[] image = MultibootImage.Build(a => EmitKernel(a, ring3, snippet));
        var vm = VirtualMachine.Create(image, new VmOptions { Backend = backend, MemoryMiB = 16, MaxInstructions = maxInstructions, Translation = translation });
        PhysicalMemory memory = MemoryOf(vm);
        InstallTables(memory);
        VmRunResult run = vm.Run();
        return new Observation(
            memory.Span(Results, 0x100).ToArray(),
            [.. memory.Span(RingZeroStack - 0x100, 0x100), .. memory.Span(BootStack - 0x100, 0x100)],
            run.Console,
            run.ExitCode,
            run.Result.Message,
            run.Statistics.Events.GetValueOrDefault("bt.instructionsInRegions"));
    }

    /// <summary>The two backends that deprivilege the guest.</summary>
    public static TheoryData<BackendKind> DeprivilegingBackends => new() { BackendKind.BinaryTranslation, BackendKind.TrapAndEmulate };

    /// <summary>The guest's physical memory on bare metal or under a deprivileging VMM (where it is the start of host memory).</summary>
    public static PhysicalMemory MemoryOf(VirtualMachine vm) => vm.Backend switch
    {
        NativeBackend native => native.Machine.Memory,
        DeprivilegedMonitor vmm => vmm.Cpu.Mmu.Physical,
        _ => throw new ArgumentException("not a native or deprivileging backend", nameof(vm)),
    };

    private static void EmitKernel(Assembler a, bool ring3, Action<Assembler> snippet)
    {
        a.lidt(__[HwHarness.IdtrAddress]);
        a.mov(esp, BootStack);
        a.lgdt(__[Gdtr]);
        a.mov(ax, KernelData);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(fs, ax);
        a.mov(gs, ax);
        a.mov(ss, ax);
        a.mov(ax, TaskState);
        a.ltr(ax);
        if (!ring3)
        {
            snippet(a);
            MultibootImage.EmitExit(a, 0);
            return;
        }

        WithAddressOf(
            a,
            target =>
            {
                target.mov(ax, UserData);
                target.mov(ds, ax);
                target.mov(es, ax);
                snippet(target);
                target.@int(0x30);
            },
            entry =>
            {
                entry.push(UserData);
                entry.push(UserStack);
                entry.push(0x202);
                entry.push(UserCode);
                entry.push(eax);
                entry.iretd();
            });
    }

    /// <summary>
    /// Emits <paramref name="target"/> and <paramref name="withAddressInEax"/>, which runs first with the linear address
    /// of the target code in EAX (32-bit code has no position-independent LEA of a label: a near CALL pushes it).
    /// The target code must not fall through; the other part may, to after both.
    /// </summary>
    public static void WithAddressOf(Assembler a, Action<Assembler> target, Action<Assembler> withAddressInEax)
    {
        Label capture = a.CreateLabel(), done = a.CreateLabel();
        a.call(capture);
        target(a);
        a.jmp(done);
        a.Label(ref capture);
        a.pop(eax);
        withAddressInEax(a);
        a.Label(ref done);
        a.nop(); // a label needs an instruction
    }

    private static void InstallTables(PhysicalMemory memory)
    {
        HwHarness.InstallIdt(memory);
        memory.Span(HwHarness.IdtBase + (48 * 8), (0x41 - 48) * 8).Clear();
        memory.Write16(HwHarness.IdtrAddress, (0x41 * 8) - 1);
        byte[] end = Assemble(EndOfSnippet, a => MultibootImage.EmitExit(a, HwHarness.HandlerReport(0x30)));
        end.CopyTo(memory.Span(EndOfSnippet, end.Length));
        InstallGate(memory, 0x30, EndOfSnippet, dpl: 3);
        InstallGate(memory, 0x40, FrameRecorder, dpl: 3);
        memory.Span(FrameRecorder, 64).Clear();
        byte[] recorder = Assemble(FrameRecorder, a =>
        {
            // Records the frame the processor built (EIP, CS, EFLAGS, and ESP, SS from ring 3) and the handler's CS.
            for (int slot = 0; slot < 5; slot++)
            {
                a.mov(eax, __dword_ptr[esp + (slot * 4)]);
                a.mov(__dword_ptr[Results + 0xC0 + (uint)(slot * 4)], eax);
            }

            a.mov(eax, cs);
            a.mov(__dword_ptr[Results + 0xD4], eax);
            a.iretd();
        });
        recorder.CopyTo(memory.Span(FrameRecorder, recorder.Length));

        ulong[] gdt =
        [
            0,
            0x00CF_9A00_0000_FFFF, // kernel code
            0x00CF_9200_0000_FFFF, // kernel data
            0x00CF_FA00_0000_FFFF, // user code
            0x00CF_F200_0000_FFFF, // user data
            0x0000_8900_0000_0067 | ((ulong)Tss << 16), // 32-bit TSS
        ];
        for (int i = 0; i < gdt.Length; i++)
        {
            memory.Write32(Gdt + (uint)(i * 8), (uint)gdt[i]);
            memory.Write32(Gdt + (uint)(i * 8) + 4, (uint)(gdt[i] >> 32));
        }

        memory.Write16(Gdtr, (ushort)((gdt.Length * 8) - 1));
        memory.Write32(Gdtr + 2, Gdt);
        memory.Span(Tss, 0x68).Clear();
        memory.Write32(Tss + 4, RingZeroStack);
        memory.Write32(Tss + 8, KernelData);
        memory.Write16(Tss + 0x66, 0x68); // no I/O bitmap
    }

    private static void InstallGate(PhysicalMemory memory, int vector, uint handler, int dpl)
    {
        memory.Write32(HwHarness.IdtBase + (uint)(vector * 8), (0x08u << 16) | (handler & 0xFFFF));
        memory.Write32(HwHarness.IdtBase + (uint)(vector * 8) + 4, (handler & 0xFFFF_0000) | 0x8E00 | ((uint)dpl << 13));
    }

    private static byte[] Assemble(uint address, Action<Assembler> emit)
    {
        var a = new Assembler(32);
        emit(a);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }
}
