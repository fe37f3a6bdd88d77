using Translator.Tests.Shared;
using Translator.Vmm;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>The guest library's <c>CmosClock</c>: a kernel prints the date from the CMOS RTC, in BCD and in binary.</summary>
public sealed class CmosClockKernelTests
{
    private const string Source = """
        namespace ClockTests;
        using Translator.Guest;

        [GuestKernel]
        public static partial class Clock
        {
            [Entry]
            private static void Main()
            {
                CmosClock.WriteDateTime();
                Console.Write('\n');
                Cpu.Out8(0x70, 0x0B);
                Cpu.Out8(0x71, 0x04);      // binary, 12-hour
                CmosClock.Read(out uint year, out uint month, out uint day, out uint hour, out uint minute, out uint second);
                Console.WriteDecimal(year);
                Console.Write(' ');
                Console.WriteDecimal(hour);
                Console.Write(' ');
                Console.WriteDecimal(CmosClock.ReadRegister(0x04));
                Console.Write('\n');
            }
        }
        """;

    [Fact]
    public void AKernelPrintsTheDateOnEveryBackendAndUnderPv()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Source);
        Assert.Empty(outcome.Diagnostics);
        string generated = outcome.GeneratedSource("ClockTests.Clock.Kernel.g.cs");
        var start = new DateTimeOffset(2031, 5, 4, 21, 7, 9, TimeSpan.Zero);
        const string Expected = "2031-05-04 21:07:09\n2031 21 137\n"; // 9 PM in binary 12-hour format: 0x80 | 9
        foreach (VmOptions options in CrashReportTests.BareMetalBackends)
        {
            VmRunResult run = VirtualMachine.Create(StructKernelTests.ImageBytes(generated, "Image"), options with { Devices = options.Devices with { RtcBase = start } }).Run();
            Assert.True(Expected == System.Text.Encoding.ASCII.GetString(run.Console), $"{options.Backend} {options.Paging}: {System.Text.Encoding.ASCII.GetString(run.Console)} ({run.Result.Message})");
        }

        VmRunResult pv = VirtualMachine.Create(StructKernelTests.ImageBytes(generated, "ParavirtImage"),
            new VmOptions { Backend = BackendKind.Paravirtual, Devices = new() { RtcBase = start } }).Run();
        Assert.Equal(Expected, System.Text.Encoding.ASCII.GetString(pv.Console));
    }
}
