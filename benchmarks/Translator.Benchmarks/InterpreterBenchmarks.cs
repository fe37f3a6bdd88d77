using BenchmarkDotNet.Attributes;
using Iced.Intel;
using Translator.Machine;
using Translator.Tests.Shared;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Benchmarks;

/// <summary>
/// Guest instructions per second of the two interpreter tiers on a loop typical of compiled C (loads, stores, ALU,
/// compare and branch). One operation is one run of <see cref="Iterations"/> loop iterations, 7 instructions each.
/// </summary>
[MemoryDiagnoser]
public class InterpreterBenchmarks
{
    private const int Iterations = 1_000_000;
    private byte[] _image = [];

    /// <summary>0: decoded blocks only; 64: hot blocks compiled (the default).</summary>
    [Params(0, 64)]
    public int CompileThreshold { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _image = MultibootImage.Build(a =>
        {
            Label loop = a.CreateLabel();
            a.mov(ecx, Iterations);
            a.mov(esi, 0x0020_0000);
            a.xor(eax, eax);
            a.Label(ref loop);
            a.mov(edx, __dword_ptr[esi + ecx * 4 - 4]);
            a.add(eax, edx);
            a.xor(edx, ecx);
            a.mov(__dword_ptr[esi + ecx * 4 - 4], edx);
            a.sub(ecx, 1);
            a.cmp(ecx, 0);
            a.jne(loop);
            a.mov(eax, 0);
            a.@out(0xF4, eax);
        });
    }

    [Benchmark(OperationsPerInvoke = Iterations * 7)]
    public ulong RunGuestLoop()
    {
        var machine = new PcMachine(new MachineOptions { MemoryMiB = 4, CompileThreshold = CompileThreshold }, _ => { });
        machine.Load(_image);
        machine.Run();
        return machine.Cpu.Retired;
    }
}
