using System.Collections.Concurrent;
using Translator.Machine;
using Translator.Machine.Devices;
using Translator.Machine.Snapshots;
using Translator.Vmm;
using Translator.Vmm.Backends;
using Translator.Vmm.Backends.Deprivileged;
using Translator.Vmm.Backends.Hw;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// A guest saved at an instruction count and resumed, on its own technique or another, is the uninterrupted run: the
/// console bytes before the snapshot and after the resume are the whole run's, and it ends alike, with the same
/// retired count, processor state, RAM and devices. Every conformance image is saved at several points (and the
/// interrupt-driven ones inside an IRQ handler and with COM1's transmit interrupt pending), through the file format.
/// </summary>
public sealed class SnapshotTests
{
    private const ulong Budget = 50_000_000;

    /// <summary>Source and target techniques: each pair crosses hw, bt and native, and each runs on its own too.</summary>
    private static readonly (string From, string To)[] Moves =
    [
        ("native", "hw-ept"), ("hw-ept", "bt"), ("bt", "hw-shadow"), ("hw-shadow", "native"), ("bt", "bt"),
    ];

    /// <summary>trap runs these like bare metal (TrapDivergenceTests); a trap snapshot resumes under trap only.</summary>
    private static readonly string[] TrapClean = ["sieve.elf", "crc32.elf", "sort.elf", "muldiv64.elf"];

    private static readonly ConcurrentDictionary<(string, string), FinalState> s_whole = new();

    public static TheoryData<string, string, string> Cases()
    {
        var cases = new TheoryData<string, string, string>();
        foreach (object[] row in (IEnumerable<object[]>)QemuConformanceTests.Images)
        {
            string image = (string)row[0];
            foreach ((string from, string to) in Moves)
            {
                cases.Add(image, from, to);
            }

            if (TrapClean.Contains(image))
            {
                cases.Add(image, "trap", "trap");
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResumedRunIsTheUninterruptedRun(string image, string from, string to)
    {
        byte[] bytes = File.ReadAllBytes(GuestImages.Instance.PathOf(image));
        FinalState whole = Whole(image, bytes, to);
        foreach (ulong fraction in new ulong[] { 3, 1 })
        {
            ulong at = whole.Retired - (whole.Retired / (fraction + 1)); // a quarter and half of the run before its end
            Check(image, bytes, from, to, whole, $"at {at}", vm => vm.Run(at).Result.Reason == MachineStopReason.BudgetExhausted);
        }

        // The interrupt-driven guests: inside an IRQ handler (in service at the PIC), and with COM1's transmit
        // interrupt raised but not yet taken (a transfer under way).
        if (image is "pit_irq.bin" or "uart_irq.bin")
        {
            Check(image, bytes, from, to, whole, "inside an IRQ handler", vm => RunUntil(vm, board => board.Pic.InService != 0));
        }

        if (image is "uart_irq.bin")
        {
            Check(image, bytes, from, to, whole, "with the UART's interrupt pending", vm => RunUntil(vm, board => board.Uart.InterruptPending));
        }
    }

    private static void Check(string image, byte[] bytes, string from, string to, FinalState whole, string where, Func<VirtualMachine, bool> runToPoint)
    {
        var before = new List<byte>();
        VirtualMachine first = VirtualMachine.Create(bytes, Options(from, before));
        if (!runToPoint(first))
        {
            Assert.Fail($"{image} under {from}: the guest ended before the point {where}");
        }

        byte[] file = first.TakeSnapshot().ToBytes();
        ulong savedAt = first.Backend.GuestInstructions;
        var after = new List<byte>();
        VirtualMachine resumed = VirtualMachine.Resume(VmSnapshot.Read(file), Options(to, after));
        FinalState outcome = FinalState.Finish(resumed, () => [.. before, .. after]);
        string context = $"{image}: saved under {from} {where} (retired {savedAt}), resumed under {to}";
        Assert.True(whole.Console.AsSpan().SequenceEqual(outcome.Console), context + "\n" + OutputDiff.Describe("whole", whole.Console, "resumed", outcome.Console));
        Assert.True(whole.Result.Reason == outcome.Result.Reason && whole.Result.ExitCode == outcome.Result.ExitCode,
            $"{context}: ended {outcome.Result.Reason} ({outcome.Result.Message}), the whole run {whole.Result.Reason} ({whole.Result.Message})");
        Assert.True(whole.Retired == outcome.Retired, $"{context}: retired {outcome.Retired}, the whole run {whole.Retired}");
        Assert.True(whole.Cpu.SequenceEqual(outcome.Cpu), $"{context}: the final processor state differs");
        Assert.True(whole.Ram.SequenceEqual(outcome.Ram), $"{context}: the final RAM differs");
        if (from == to)
        {
            // Across techniques the devices agree on everything the guest sees, but not on when each last caught up
            // with virtual time (the 8254 is advanced when a technique looks at it), so only a same-technique resume
            // must leave them bit for bit as the uninterrupted run does.
            Assert.True(whole.Devices.SequenceEqual(outcome.Devices), $"{context}: the final device state differs");
        }
    }

    /// <summary>Runs in short slices until <paramref name="point"/> holds at a slice's end; false if the guest ended first.</summary>
    private static bool RunUntil(VirtualMachine vm, Func<PcBoard, bool> point)
    {
        PcBoard board = vm.Backend switch
        {
            NativeBackend n => n.Machine.Board,
            HardwareAssistedBackend h => h.Platform.Board,
            DeprivilegedMonitor d => d.Platform.Board,
            _ => throw new InvalidOperationException(vm.Backend.Name),
        };
        while (vm.Backend.Run(vm.Backend.GuestInstructions + 7).Reason == MachineStopReason.BudgetExhausted)
        {
            if (point(board))
            {
                return true;
            }
        }

        return false;
    }

    private static FinalState Whole(string image, byte[] bytes, string configuration) =>
        s_whole.GetOrAdd((image, configuration), _ =>
        {
            var console = new List<byte>();
            return FinalState.Finish(VirtualMachine.Create(bytes, Options(configuration, console)), () => [.. console]);
        });

    private static VmOptions Options(string configuration, List<byte> console) =>
        BackendConfigurations.Options(configuration, console.Add, Budget);

}
