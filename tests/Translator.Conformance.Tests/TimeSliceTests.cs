using Translator.Machine;
using Translator.Vmm;
using Xunit;

namespace Translator.Conformance.Tests;

/// <summary>
/// A backend run in time slices (what a scheduler does: run until N instructions, come back later) is the same run
/// as one without slices: the same console bytes, the same ending and the same number of retired instructions, on
/// guests driven by timer and UART interrupts, paging and plain computation. A slice ends at the first block
/// boundary at or past its end.
/// </summary>
public sealed class TimeSliceTests
{
    /// <summary>The longest decoded block (BlockBoundary.MaxInstructions in the machine).</summary>
    private const ulong MaxBlockInstructions = 64;

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (string image in new[] { "pit_irq.bin", "uart_irq.bin", "paging.bin", "crc32.elf", "syscall_heavy.bin" })
        {
            foreach (string configuration in new[] { "native", "native-interpreter", "hw-ept", "hw-shadow", "bt", "trap" })
            {
                cases.Add(image, configuration);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SlicedRunIsTheWholeRun(string image, string configuration)
    {
        byte[] bytes = File.ReadAllBytes(GuestImages.Instance.PathOf(image));
        (byte[] wholeConsole, MachineResult whole, ulong wholeRetired) = Run(bytes, configuration, slice: 0);
        (byte[] slicedConsole, MachineResult sliced, ulong slicedRetired) = Run(bytes, configuration, slice: 997);

        Assert.Equal(whole.Reason, sliced.Reason);
        Assert.Equal(whole.ExitCode, sliced.ExitCode);
        Assert.Equal(wholeRetired, slicedRetired);
        Assert.True(wholeConsole.AsSpan().SequenceEqual(slicedConsole), OutputDiff.Describe("whole", wholeConsole, "sliced", slicedConsole));
    }

    private static (byte[] Console, MachineResult Result, ulong Retired) Run(byte[] image, string configuration, ulong slice)
    {
        var console = new List<byte>();
        VmOptions options = BackendConfigurations.Options(configuration, console.Add);
        VirtualMachine vm = VirtualMachine.Create(image, options);
        MachineResult result;
        if (slice == 0)
        {
            result = vm.Backend.Run();
        }
        else
        {
            ulong until = 0;
            do
            {
                until += slice;
                result = vm.Backend.Run(until);
                if (result.Reason == MachineStopReason.BudgetExhausted)
                {
                    // A slice ends at the first block boundary at or past its end (the budget is checked between
                    // blocks), never short of it; the next slice starts from where this one really ended.
                    ulong retired = vm.Backend.GuestInstructions;
                    Assert.InRange(retired, until, until + MaxBlockInstructions);
                    until = retired;
                }
            }
            while (result.Reason == MachineStopReason.BudgetExhausted && until < options.MaxInstructions);
        }

        return (console.ToArray(), result, vm.Backend.GuestInstructions);
    }
}
