using BenchmarkDotNet.Attributes;
using Iced.Intel;
using Translator.Tests.Shared;
using Translator.Vmm;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Benchmarks;

/// <summary>
/// The cost of a callout: a guest loop of PUSHFD, POPFD and three ordinary instructions, on bare metal and under
/// <c>bt</c>, where PUSHFD and POPFD are callouts into the VMM (each enters and leaves the virtual ring-0 view).
/// One operation is one loop iteration; (bt − native) / 2 is the price of one callout on the emulator. Under
/// <c>trap</c> the same loop does not trap at all (PUSHF/POPF are the holes), so the column measures the
/// deprivileged run's baseline.
/// </summary>
[MemoryDiagnoser]
public class CalloutBenchmarks
{
    private const int Iterations = 5_000_000;
    private byte[] _image = [];

    [Params(BackendKind.Native, BackendKind.BinaryTranslation, BackendKind.TrapAndEmulate)]
    public BackendKind Backend { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _image = MultibootImage.Build(a =>
        {
            Label loop = a.CreateLabel();
            a.mov(esp, 0x8000);
            a.mov(ecx, Iterations);
            a.Label(ref loop);
            a.pushfd();
            a.popfd();
            a.add(eax, ecx);
            a.sub(ecx, 1);
            a.jne(loop);
            a.mov(eax, 0);
            a.@out(0xF4, eax);
        });
    }

    [Benchmark(OperationsPerInvoke = Iterations)]
    public ulong RunCalloutLoop() =>
        VirtualMachine.Create(_image, new VmOptions { Backend = Backend, MemoryMiB = 4 }).Run().Statistics.GuestInstructions;
}
