using BenchmarkDotNet.Attributes;
using Translator.Machine.Cpu;
using Translator.Machine.Memory;

namespace Translator.Benchmarks;

/// <summary>The soft-MMU: a TLB hit (the interpreter's memory fast path) and a TLB miss with a two-level page walk.</summary>
public class MmuBenchmarks
{
    private const uint Directory = 0x1000, Table = 0x2000;
    private Mmu _mmu = null!;

    [GlobalSetup]
    public void Setup()
    {
        var memory = new PhysicalMemory(16);
        _mmu = new Mmu(memory, new GuestFault());
        memory.Write32(Directory, Table | 7);
        for (uint page = 0; page < 1024; page++)
        {
            memory.Write32(Table + (page * 4), (page << 12) | 0x67); // present, writable, user, accessed, dirty
        }

        _mmu.SetPaging(paging: true, writeProtect: true, pse: false, cr3: Directory);
        _mmu.Read32(0x5000);
    }

    [Benchmark(OperationsPerInvoke = 1000)]
    public uint TlbHitRead32()
    {
        uint sum = 0;
        for (int i = 0; i < 1000; i++)
        {
            sum += _mmu.Read32(0x5000 + (uint)(i & 0x3FC));
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = 1000)]
    public uint TlbMissWalk()
    {
        uint sum = 0;
        for (uint i = 0; i < 1000; i++)
        {
            _mmu.FlushPage(0x5000);
            sum += _mmu.Translate(0x5000, write: false, user: false);
        }

        return sum;
    }
}
