using System.Buffers.Binary;
using Iced.Intel;
using Translator.Machine;
using Translator.Machine.Loader;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests.Pv;

/// <summary>
/// The pv backend against small PV guests assembled here (docs/paravirt-abi.md): what works, and the hostile
/// guests Xen's hypercall validation exists for. Each guest reports the result of the hypercall under test as its
/// exit status (isa-debug-exit through physdev_op: exit code (V &lt;&lt; 1) | 1 with V = -result).
/// </summary>
public sealed class ParavirtBackendTests
{
    private const uint Load = 0x0010_0000, Data = Load + 0x800, HypercallPage = Load + 0x1000, BssEnd = Load + 0x2000;
    private const uint Entries = 128u * 1024 * 1024 / 4096;

    [Fact]
    public void ConsoleIoWritesTheGuestsBytesInOneHypercall()
    {
        (VmRunResult run, _) = RunGuest((a, d) =>
        {
            d.Bytes(0, "hello, pv\n"u8.ToArray());
            Hypercall(a, 18, b: 0, c: 10, d: d.At(0));
            ExitWithResult(a, d);
        });

        Assert.Equal("hello, pv\n", System.Text.Encoding.ASCII.GetString(run.Console));
        Assert.Equal(1, run.ExitCode); // console_io returned 0
        Assert.Equal(1, run.Statistics.Events["hypercall.console_io"]);
    }

    [Fact]
    public void AnUnknownHypercallIsEnosys() => Assert.Equal(Status(38), RunGuest((a, d) =>
    {
        Hypercall(a, 99);
        ExitWithResult(a, d);
    }).Run.ExitCode);

    [Fact]
    public void APointerOutsideTheGuestsMemoryIsEfault() => Assert.Equal(Status(14), RunGuest((a, d) =>
    {
        Hypercall(a, 18, b: 0, c: 16, d: 0xFFFF_0000);
        ExitWithResult(a, d);
    }).Run.ExitCode);

    [Fact]
    public void MappingAFrameTheGuestDoesNotOwnIsRefused() => Assert.Equal(Status(22), RunGuest((a, d) =>
    {
        Hypercall(a, 14, b: 0x0040_0000, c: (Entries << 12) | 7, d: 2);
        ExitWithResult(a, d);
    }).Run.ExitCode);

    [Fact]
    public void AWritableMappingOfItsOwnPageTableIsRefused() => Assert.Equal(Status(22), RunGuest((a, d) =>
    {
        a.mov(eax, __dword_ptr[esi + 60]);     // start_info.pt_base: the boot page directory
        a.mov(ebx, eax);                       // its own linear address (identity)
        a.or(eax, 7);                          // mapped writable onto itself
        a.mov(ecx, eax);
        a.mov(edx, 2);
        a.call(HypercallPage + 14 * 32);
        ExitWithResult(a, d);
    }).Run.ExitCode);

    [Fact]
    public void PinningAFrameThatIsMappedWritableIsRefused() => Assert.Equal(Status(22), RunGuest((a, d) =>
    {
        d.Word(0, 0);         // MMUEXT_PIN_L1_TABLE
        d.Word(4, 0x200);     // frame 0x200 (2 MiB): mapped writable by the boot tables
        d.Word(8, 0);
        Hypercall(a, 26, b: d.At(0), c: 1, d: 0, si: 0x7FF0);
        ExitWithResult(a, d);
    }).Run.ExitCode);

    [Fact]
    public void ARingZeroDescriptorIsRefusedBySetGdt() => Assert.Equal(Status(22), RunGuest((a, d) =>
    {
        d.Word(8, 0x0000_FFFF);
        d.Word(12, 0x00CF_9B00); // DPL 0 code
        Hypercall(a, 2, b: d.At(0), c: 2);
        ExitWithResult(a, d);
    }).Run.ExitCode);

    [Fact]
    public void ARingOneDescriptorIsAccepted() => Assert.Equal(Status(0), RunGuest((a, d) =>
    {
        d.Word(8, 0x0000_FFFF);
        d.Word(12, 0x00CF_BB00); // DPL 1 code
        Hypercall(a, 2, b: d.At(0), c: 2);
        ExitWithResult(a, d);
    }).Run.ExitCode);

    [Fact]
    public void AHypercallFloodCostsTheGuestOnlyItsBudget()
    {
        (VmRunResult run, _) = RunGuest((a, _) =>
        {
            Label loop = a.CreateLabel();
            a.Label(ref loop);
            Hypercall(a, 17, b: 0);
            a.jmp(loop);
        }, maxInstructions: 200_000);

        Assert.Equal(6, run.ExitCode);
        Assert.True(run.Statistics.Events["hypercall.xen_version"] > 10_000);
    }

    [Fact]
    public void AnUpcallThatNeverReturnsIsContainedByTheBudget()
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
        }, maxInstructions: 500_000);

        Assert.Equal(6, run.ExitCode);
        Assert.Equal(1, run.Statistics.Events["pv.upcalls"]);
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

    // ---- the guest builder -----------------------------------------------------------------------------------------

    private static int Status(int errno) => (errno << 1) | 1;

    /// <summary>The data area of a test guest (at <see cref="Data"/>, inside the loaded image).</summary>
    private sealed class DataArea
    {
        public readonly byte[] Bytes_ = new byte[0x7D0];

        public uint At(int offset) => Data + (uint)offset;

        public void Word(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Bytes_.AsSpan(offset), value);

        public void Bytes(int offset, byte[] bytes) => bytes.CopyTo(Bytes_, offset);
    }

    private static void Hypercall(Assembler a, int number, uint b = 0, uint c = 0, uint d = 0, uint si = 0)
    {
        a.mov(ebx, b);
        a.mov(ecx, c);
        a.mov(edx, d);
        if (si != 0)
        {
            a.mov(esi, si);
        }

        a.call(HypercallPage + (uint)number * 32);
    }

    /// <summary>-EAX to isa-debug-exit through physdev_op's port write (0 for success).</summary>
    private static void ExitWithResult(Assembler a, DataArea d)
    {
        a.neg(eax);
        a.mov(__dword_ptr[d.At(0x7C4)], eax);
        a.mov(__dword_ptr[d.At(0x7C0)], 0x0004_00F4u); // port 0xF4, size 4
        a.mov(ebx, 0x7F01u);
        a.mov(ecx, d.At(0x7C0));
        a.call(HypercallPage + 33 * 32);
        Label hang = a.CreateLabel();
        a.Label(ref hang);
        a.jmp(hang);
    }

    private static byte[] Build(Action<Assembler, DataArea> code)
    {
        var a = new Assembler(32);
        var d = new DataArea();
        code(a, d);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Load + 48);
        byte[] bytes = stream.ToArray();
        Assert.True(bytes.Length < 0x800 - 48, "test guest code too large");
        byte[] image = new byte[0x1000];
        bytes.CopyTo(image, 48);
        d.Bytes_.CopyTo(image, 0x800);
        uint[] header = [0x3156_5054, 48, 1, 0, Load, Load + 0x1000, BssEnd, Load + 48, HypercallPage, 0, 0, 0];
        for (int i = 0; i < header.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(i * 4), header[i]);
        }

        FixChecksum(image);
        return image;
    }

    private static void FixChecksum(byte[] image)
    {
        uint sum = 0;
        for (int i = 0; i < 44; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(i));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(44), 0u - sum);
    }

    private static (VmRunResult Run, VirtualMachine Vm) RunGuest(Action<Assembler, DataArea> code, ulong maxInstructions = 5_000_000)
    {
        VirtualMachine vm = VirtualMachine.Create(Build(code), new VmOptions { Backend = BackendKind.Paravirtual, MaxInstructions = maxInstructions });
        return (vm.Run(), vm);
    }
}
