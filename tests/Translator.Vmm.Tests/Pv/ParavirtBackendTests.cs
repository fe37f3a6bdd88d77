using System.Buffers.Binary;
using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Loader;
using Xunit;
using Translator.Tests.Shared;
using static Iced.Intel.AssemblerRegisters;
using static Translator.Tests.Shared.PvTestImage;

namespace Translator.Vmm.Tests.Pv;

/// <summary>
/// The pv backend against small PV guests assembled here (docs/paravirt-abi.md): what works, and the hostile
/// guests Xen's hypercall validation exists for. Each guest reports the result of the hypercall under test as its
/// exit status (isa-debug-exit through physdev_op: exit code (V &lt;&lt; 1) | 1 with V = -result).
/// </summary>
public sealed partial class ParavirtBackendTests
{
    private const uint Entries = 128u * 1024 * 1024 / 4096;

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void ConsoleIoWritesTheGuestsBytesInOneHypercall(ExecutionTier execution)
    {
        (VmRunResult run, _) = RunGuest((a, d) =>
        {
            d.Bytes(0, "hello, pv\n"u8.ToArray());
            Hypercall(a, 18, b: 0, c: 10, d: d.At(0));
            ExitWithResult(a, d);
        }, execution);

        Assert.Equal("hello, pv\n", System.Text.Encoding.ASCII.GetString(run.Console));
        Assert.Equal(1, run.ExitCode); // console_io returned 0
        Assert.Equal(1, run.Statistics.Events["hypercall.console_io"]);
    }

    [Fact]
    public void TheCommandLineIsTheStartInfosCmdLine()
    {
        (VmRunResult run, _) = RunGuest((a, d) =>
        {
            a.lea(edx, __dword_ptr[esi + 80]);  // start_info.cmd_line (ESI = start_info at entry)
            a.mov(ebx, 0);
            a.mov(ecx, 13);                     // the 12 bytes of UTF-8 and the NUL after them
            a.call(HypercallPage + 18u * 32);
            ExitWithResult(a, d);
        }, ExecutionTier.Interpreter, commandLine: "quiet x=1 é");

        Assert.Equal([.. "quiet x=1 "u8, 0xC3, 0xA9, 0], run.Console);
        Assert.Equal(1, run.ExitCode);
    }

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void AnUnknownHypercallIsEnosys(ExecutionTier execution) => Assert.Equal(Status(38), RunGuest((a, d) =>
    {
        Hypercall(a, 99);
        ExitWithResult(a, d);
    }, execution).Run.ExitCode);

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void APointerOutsideTheGuestsMemoryIsEfault(ExecutionTier execution) => Assert.Equal(Status(14), RunGuest((a, d) =>
    {
        Hypercall(a, 18, b: 0, c: 16, d: 0xFFFF_0000);
        ExitWithResult(a, d);
    }, execution).Run.ExitCode);

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void MappingAFrameTheGuestDoesNotOwnIsRefused(ExecutionTier execution) => Assert.Equal(Status(22), RunGuest((a, d) =>
    {
        Hypercall(a, 14, b: 0x0040_0000, c: (Entries << 12) | 7, d: 2);
        ExitWithResult(a, d);
    }, execution).Run.ExitCode);

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void AWritableMappingOfItsOwnPageTableIsRefused(ExecutionTier execution) => Assert.Equal(Status(22), RunGuest((a, d) =>
    {
        a.mov(eax, __dword_ptr[esi + 60]);     // start_info.pt_base: the boot page directory
        a.mov(ebx, eax);                       // its own linear address (identity)
        a.or(eax, 7);                          // mapped writable onto itself
        a.mov(ecx, eax);
        a.mov(edx, 2);
        a.call(HypercallPage + 14 * 32);
        ExitWithResult(a, d);
    }, execution).Run.ExitCode);

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void PinningAFrameThatIsMappedWritableIsRefused(ExecutionTier execution) => Assert.Equal(Status(22), RunGuest((a, d) =>
    {
        d.Word(0, 0);         // MMUEXT_PIN_L1_TABLE
        d.Word(4, 0x200);     // frame 0x200 (2 MiB): mapped writable by the boot tables
        d.Word(8, 0);
        Hypercall(a, 26, b: d.At(0), c: 1, d: 0, si: 0x7FF0);
        ExitWithResult(a, d);
    }, execution).Run.ExitCode);

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void ARingZeroDescriptorIsRefusedBySetGdt(ExecutionTier execution) => Assert.Equal(Status(22), RunGuest((a, d) =>
    {
        d.Word(8, 0x0000_FFFF);
        d.Word(12, 0x00CF_9B00); // DPL 0 code
        Hypercall(a, 2, b: d.At(0), c: 2);
        ExitWithResult(a, d);
    }, execution).Run.ExitCode);

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void ARingOneDescriptorIsAccepted(ExecutionTier execution) => Assert.Equal(Status(0), RunGuest((a, d) =>
    {
        d.Word(8, 0x0000_FFFF);
        d.Word(12, 0x00CF_BB00); // DPL 1 code
        Hypercall(a, 2, b: d.At(0), c: 2);
        ExitWithResult(a, d);
    }, execution).Run.ExitCode);

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void AHypercallFloodCostsTheGuestOnlyItsBudget(ExecutionTier execution)
    {
        (VmRunResult run, _) = RunGuest((a, _) =>
        {
            Label loop = a.CreateLabel();
            a.Label(ref loop);
            Hypercall(a, 17, b: 0);
            a.jmp(loop);
        }, execution, maxInstructions: 200_000);

        Assert.Equal(6, run.ExitCode);
        Assert.True(run.Statistics.Events["hypercall.xen_version"] > 10_000);
    }

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void AnUpcallThatNeverReturnsIsContainedByTheBudget(ExecutionTier execution)
    {
        (VmRunResult run, _) = RunGuest((a, d) =>
        {
            d.Bytes(0x100, [0xEB, 0xFE]); // jmp $: the event callback, a loop that never returns
            a.mov(ebx, 0xE019u);
            a.mov(ecx, d.At(0x100));
            a.mov(edx, 0xE019u);
            a.mov(esi, d.At(0x100));
            a.call(HypercallPage + 4 * 32);
            d.Word(16, 0);         // bind_virq { virq 0 (timer), vcpu 0, port out }
            d.Word(20, 0);
            Hypercall(a, 32, b: 1, c: d.At(16));
            a.mov(eax, __dword_ptr[d.At(24)]);
            a.mov(__dword_ptr[d.At(28)], eax);
            Hypercall(a, 32, b: 9, c: d.At(28)); // unmask the timer's port
            d.Word(32, 100_000);   // a 100 µs period
            d.Word(36, 0);
            Hypercall(a, 24, b: 6, c: 0, d: d.At(32));
            Hypercall(a, 29, b: 1);                 // block: events on, sleep until the timer
            ExitWithResult(a, d);
        }, execution, maxInstructions: 500_000);

        Assert.Equal(6, run.ExitCode);
        Assert.Equal(1, run.Statistics.Events["pv.upcalls"]);
    }

    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void ALiteralInt0x82TakesTheHypercallInEax(ExecutionTier execution)
    {
        (VmRunResult run, _) = RunGuest((a, d) =>
        {
            d.Bytes(0, "int 0x82\n"u8.ToArray());
            a.mov(ebx, 0u);
            a.mov(ecx, 9u);
            a.mov(edx, d.At(0));
            a.mov(eax, 18u);     // console_io, known only at run time to the translated site
            a.@int(0x82);
            ExitWithResult(a, d);
        }, execution);

        Assert.Equal("int 0x82\n", System.Text.Encoding.ASCII.GetString(run.Console));
        Assert.Equal(1, run.ExitCode);
    }

    /// <summary>A guest that rewrites a stub of its hypercall page gets what the rewritten stub does, on both paths.</summary>
    [Theory]
    [InlineData(ExecutionTier.Interpreter)]
    [InlineData(ExecutionTier.Translated)]
    public void ARewrittenStubRunsAsRewritten(ExecutionTier execution) => Assert.Equal(Status(38), RunGuest((a, d) =>
    {
        a.mov(__dword_ptr[HypercallPage + 17 * 32 + 1], 99u); // stub 17's mov eax, 17 becomes mov eax, 99
        Hypercall(a, 17);
        ExitWithResult(a, d);
    }, execution).Run.ExitCode);

    [Fact]
    public void APvImageWithAPrivilegedInstructionIsRefusedOnTheTranslatedPathOnly()
    {
        byte[] image = Build((a, d) =>
        {
            a.nop();
            a.cli();             // at load + 49: faults at CPL 1, a PV kernel masks events in shared info instead
            ExitWithResult(a, d);
        });

        var refused = Assert.Throws<InvalidImageException>(() => VirtualMachine.Create(image,
            new VmOptions { Backend = BackendKind.Paravirtual, Execution = ExecutionTier.Translated, TranslationCacheDirectory = s_cache }));
        Assert.Contains("privileged instruction at 0x00100031: cli", refused.Message);

        // The interpreter runs it: the CLI raises #GP, and with no trap table the domain crashes.
        VmRunResult run = VirtualMachine.Create(image, new VmOptions { Backend = BackendKind.Paravirtual }).Run();
        Assert.Equal(4, run.ExitCode);
    }

    [Fact]
    public void ABareMetalImageIsRefusedWithTheReason()
    {
        byte[] multiboot = new byte[64];
        BinaryPrimitives.WriteUInt32LittleEndian(multiboot, 0x1BAD_B002);
        var e = Assert.Throws<InvalidImageException>(() => VirtualMachine.Create(multiboot, new VmOptions { Backend = BackendKind.Paravirtual }));
        Assert.Contains("paravirtualization needs a guest built for the interface", e.Message);
    }

    [Theory]
    [InlineData(BackendKind.Native)]
    [InlineData(BackendKind.HardwareAssisted)]
    [InlineData(BackendKind.BinaryTranslation)]
    [InlineData(BackendKind.TrapAndEmulate)]
    public void APvImageIsRefusedByTheOtherBackends(BackendKind backend)
    {
        byte[] image = Build((a, d) => ExitWithResult(a, d));
        var e = Assert.Throws<InvalidImageException>(() => VirtualMachine.Create(image, new VmOptions { Backend = backend, Translation = TranslationSource.InterpreterOnly }));
        Assert.Contains("--backend pv", e.Message);
    }

    [Theory]
    [InlineData(4, 40u, "header size")]
    [InlineData(8, 2u, "ABI version")]
    [InlineData(44, 0u, "checksum")]
    [InlineData(28, 0x0010_0000u, "entry")]
    [InlineData(32, 0x0010_0800u, "hypercall page")]
    [InlineData(16, 0x0010_0100u, "load address")]
    public void AMalformedHeaderIsRefusedNamingTheField(int offset, uint value, string field)
    {
        byte[] image = Build((a, d) => ExitWithResult(a, d));
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(offset), value);
        if (offset != 44)
        {
            FixChecksum(image);
        }

        var e = Assert.Throws<InvalidImageException>(() => VirtualMachine.Create(image, new VmOptions { Backend = BackendKind.Paravirtual }));
        Assert.Contains(field, e.Message);
    }

    // ---- running the guests ----------------------------------------------------------------------------------------

    private static int Status(int errno) => (errno << 1) | 1;

    /// <summary>
    /// Runs a test guest on <paramref name="execution"/>'s path; on the translated path also on the interpreter,
    /// which must give the same console bytes, exit code and retired count (the fast path's equivalence).
    /// </summary>
    private static (VmRunResult Run, VirtualMachine Vm) RunGuest(Action<Assembler, DataArea> code, ExecutionTier execution, ulong maxInstructions = 5_000_000, string? commandLine = null)
    {
        byte[] image = Build(code);
        var options = new VmOptions { Backend = BackendKind.Paravirtual, MaxInstructions = maxInstructions, Execution = execution, TranslationCacheDirectory = s_cache, KernelCommandLine = commandLine };
        VirtualMachine vm = VirtualMachine.Create(image, options);
        VmRunResult run = vm.Run();
        if (execution == ExecutionTier.Translated)
        {
            VmRunResult reference = VirtualMachine.Create(image, options with { Execution = ExecutionTier.Interpreter }).Run();
            Assert.Equal(reference.Console, run.Console);
            Assert.Equal(reference.ExitCode, run.ExitCode);
            Assert.Equal(reference.Statistics.GuestInstructions, run.Statistics.GuestInstructions);
            Assert.True(run.Statistics.Events["bt.instructionsInRegions"] > 0, "nothing ran in translated code");
        }

        return (run, vm);
    }

    private static readonly string s_cache = Path.Combine(Path.GetTempPath(), "translator-pv-tests-" + Environment.ProcessId);
}
