using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// A DSL kernel that crashes (no IDT: #DE, #PF and #GP each end in a triple fault) gets the same report under every
/// backend: the chain of exceptions with their error codes, the function and the C# line that faulted (from the map
/// the image carries after its loaded bytes), the registers, and the same instruction count.
/// </summary>
public sealed class CrashReportTests
{
    private const string Template = """
        namespace CrashTests;
        using Translator.Guest;

        [GuestKernel]
        public static partial class Crash
        {
            [Aligned(4096)]
            private static readonly uint[] Directory = new uint[1024];
            private static uint s_zero = 0;
            private static uint s_sink;

            [Entry]
            private static void Main()
            {
                Console.WriteLine("about to fault");
                Prepare();
                FAULT
                Machine.Exit(0);
            }

            private static void Prepare()
            {
                Paging.IdentityMap(Memory.AddressOf(Directory), 16, Paging.Writable);
                Paging.Enable(Memory.AddressOf(Directory));
            }
        }
        """;

    /// <summary>Every backend a bare-metal image runs under, native first (the reference).</summary>
    internal static readonly VmOptions[] BareMetalBackends =
    [
        new() { Backend = BackendKind.Native },
        new() { Backend = BackendKind.HardwareAssisted, Paging = MemoryVirtualization.NestedPaging },
        new() { Backend = BackendKind.HardwareAssisted, Paging = MemoryVirtualization.ShadowPaging },
        new() { Backend = BackendKind.BinaryTranslation, Translation = TranslationSource.InterpreterOnly },
        new() { Backend = BackendKind.TrapAndEmulate },
    ];

    public static TheoryData<string, string, string> Faults => new()
    {
        { "s_sink = 1000 / s_zero;", "#DE at EIP", "divide error" },
        { "s_sink = Memory.Read32(0x4000_0000);", "#PF(0x0) at EIP", "page fault" },
        { "Cpu.WriteMsr(0xDEAD, 0);", "#GP(0x0) at EIP", "general protection" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void EveryBackendTellsTheSameStoryWithTheSourceLine(string fault, string firstLink, string _)
    {
        string source = Template.Replace("FAULT", fault, StringComparison.Ordinal);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Assert.DoesNotContain(outcome.Diagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error); // WriteMsr: TRN1003, no PV build
        byte[] image = GeneratedImage.Bytes(outcome.GeneratedSource("CrashTests.Crash.Kernel.g.cs"));
        int line = source.Split('\n').ToList().FindIndex(l => l.Contains(fault, StringComparison.Ordinal)) + 1;

        VmOptions[] backends = BareMetalBackends;
        VmRunResult[] runs = [.. backends.Select(o => VirtualMachine.Create(image, o).Run())];

        VmRunResult native = runs[0];
        Assert.Equal(4, native.ExitCode);
        Assert.StartsWith("triple fault: " + firstLink, native.Result.Message, StringComparison.Ordinal);
        Assert.EndsWith("→ shutdown", native.Result.Message, StringComparison.Ordinal);
        Assert.NotNull(native.CrashReport);
        Assert.Contains($" in Crash.Main+0x", native.CrashReport, StringComparison.Ordinal);
        Assert.Contains($", Source0.cs:{line}\n", native.CrashReport, StringComparison.Ordinal); // the harness's file name
        Assert.Contains("EAX=", native.CrashReport, StringComparison.Ordinal);
        for (int i = 1; i < runs.Length; i++)
        {
            string name = $"{backends[i].Backend} {backends[i].Paging}";
            Assert.True(native.Result.Message == runs[i].Result.Message, $"{name}: {runs[i].Result.Message}");
            Assert.True(native.CrashReport == runs[i].CrashReport, $"{name}:\n{runs[i].CrashReport}\nnative:\n{native.CrashReport}");
            Assert.True(native.Statistics.GuestInstructions == runs[i].Statistics.GuestInstructions,
                $"{name}: {runs[i].Statistics.GuestInstructions} instructions, native {native.Statistics.GuestInstructions}");
            Assert.Equal(native.Console, runs[i].Console);
        }
    }
}
