using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Translator.Vmm.Tests.Conformance;

/// <summary>
/// kvm-unit-tests' emulator.flat, line by line where <see cref="KvmUnitTests"/> counts: with the default processor's
/// SIMD unit (docs/sse.md) its test_sse and test_sse_exceptions run (moves through pc-testdev's page, #GP for a
/// misaligned MOVAPS, #PF with nothing written for a MOVUPS across into a not-present page).
/// </summary>
public sealed class KvmUnitTestsSse(ITestOutputHelper output)
{
    private static (string Summary, string Console) Run(string configuration)
    {
        byte[] image = File.ReadAllBytes(Path.Combine(KvmUnitTests.Folder!, "images", "emulator.flat"));
        VmOptions options = configuration switch
        {
            "native" => new VmOptions { Backend = BackendKind.Native },
            "hw-ept" => new VmOptions { Backend = BackendKind.HardwareAssisted, Paging = MemoryVirtualization.NestedPaging },
            "hw-shadow" => new VmOptions { Backend = BackendKind.HardwareAssisted, Paging = MemoryVirtualization.ShadowPaging },
            "bt" => new VmOptions { Backend = BackendKind.BinaryTranslation, Translation = TranslationSource.InterpreterOnly },
            _ => new VmOptions { Backend = BackendKind.TrapAndEmulate },
        };
        VmRunResult run = VirtualMachine.Create(image, options with
        {
            MemoryMiB = 128, MaxInstructions = 1_000_000_000,
            Devices = new Translator.Machine.Devices.PcDeviceOptions { TestDevice = true },
        }).Run();
        string text = Encoding.ASCII.GetString(run.Console);
        string[] lines = text.Split('\n');
        int Count(string kind) => lines.Count(l => l.StartsWith(kind, StringComparison.Ordinal));
        return ($"P{Count("PASS:")} F{Count("FAIL:")} S{Count("SKIP:")} exit {run.ExitCode}", text);
    }

    /// <summary>
    /// With the SIMD unit, the VMM's emulation of an access across two device pages and the debug registers,
    /// emulator.flat runs to its end on native, hw (EPT and shadow) and bt: QEMU TCG's 82 PASS lines plus the two
    /// "#DB suppressed after MOV SS / POP SS" checks QEMU fails and the SDM passes (docs/debug-registers.md).
    /// </summary>
    [KvmUnitTestsFact]
    public void EmulatorRunsToItsEndOnNativeHwAndBt()
    {
        foreach (string configuration in new[] { "native", "hw-ept", "hw-shadow", "bt" })
        {
            (string summary, string console) = Run(configuration);
            output.WriteLine($"{configuration}: {summary}");
            Assert.True(summary == "P84 F0 S2 exit 1", $"{configuration}: {summary}\n{console}");
            Assert.Contains("PASS: movdqu (read)", console, StringComparison.Ordinal);
            Assert.Contains("PASS: no fep: #DB suppressed after MOV SS", console, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// trap passes every SSE check QEMU TCG passes too (through the VMM's device emulation for pc-testdev's page),
    /// then stops at LTR: the STR/SGDT holes give the test a null selector, which trap is allowed (docs/sse.md).
    /// </summary>
    [KvmUnitTestsFact]
    public void EverySseCheckPassesUnderTrap()
    {
        string[] sseChecks = File.ReadAllLines(Path.Combine(KvmUnitTests.Folder!, "qemu-tcg", "emulator.txt"))
            .SkipWhile(l => !l.StartsWith("PASS: movdqu (read)", StringComparison.Ordinal))
            .TakeWhile(l => l.StartsWith("PASS: mov", StringComparison.Ordinal) || l.StartsWith("PASS: unaligned movaps", StringComparison.Ordinal)).ToArray();
        Assert.Equal(15, sseChecks.Length);
        (string summary, string console) = Run("trap");
        output.WriteLine($"trap: {summary}");
        Assert.True(summary == "P78 F0 S1 exit 127", $"trap: {summary}\n{console}");
        string[] lines = console.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        foreach (string check in sseChecks)
        {
            Assert.True(lines.Contains(check), $"trap: no '{check}'\n{console}");
        }
    }
}
