using Translator.Machine;
using Xunit;

namespace Translator.Vmm.Tests.Hosting;

/// <summary>
/// Issue 13's proof for the host: shares follow weights and caps on 32 VMs of every backend, the same VMs give the
/// same outputs and counts whatever the threads, a VM idle in HLT leaves its share to the others, and a hostile VM
/// hurts only itself.
/// </summary>
public sealed class VmHostTests
{
    private static readonly BackendKind[] s_bareMetal =
        [BackendKind.Native, BackendKind.HardwareAssisted, BackendKind.BinaryTranslation, BackendKind.TrapAndEmulate];

    private static VmOptions Options(BackendKind backend, ulong max = ulong.MaxValue) => new()
    {
        Backend = backend,
        MemoryMiB = 4,
        Translation = TranslationSource.InterpreterOnly,
        Paging = MemoryVirtualization.ShadowPaging,
        MaxInstructions = max,
    };

    /// <summary>32 spinning VMs, five backends, weights 128/256/512, two capped: 2 CPUs.</summary>
    private static List<HostedVmSpec> Fleet()
    {
        var vms = new List<HostedVmSpec>();
        for (int i = 0; i < 32; i++)
        {
            BackendKind backend = i % 5 == 4 ? BackendKind.Paravirtual : s_bareMetal[i % 5];
            byte[] image = backend == BackendKind.Paravirtual ? HostGuests.PvSpinner : HostGuests.Spinner;
            int weight = 128 << (i % 3);
            int cap = i is 2 or 5 ? 5 : 0; // weight 512: 10.7% of a CPU uncapped, so the caps bind
            vms.Add(new HostedVmSpec($"vm{i}", image, Options(backend), weight, cap));
        }

        return vms;
    }

    private static readonly HostOptions s_fleetHost = new() { Cpus = 2, PeriodInstructions = 50_000, RunFor = 3_000_000, Threads = 2 };

    [Fact]
    public void SharesFollowWeightsAndCapsOn32VmsOfEveryBackend()
    {
        HostResult result = VmHost.Create(Fleet(), s_fleetHost).Run();

        ulong capacity = 2 * result.VirtualTime;
        ulong capped = 0;
        foreach (HostedVmResult vm in result.Vms.Where(v => v.Spec.CapPercent > 0))
        {
            ulong limit = result.VirtualTime * (ulong)vm.Spec.CapPercent / 100;
            Assert.InRange(vm.Given, limit * 95 / 100, limit + 200); // the cap, and no more than one block past it
            capped += vm.Given;
        }

        double uncappedWeight = result.Vms.Where(v => v.Spec.CapPercent == 0).Sum(v => v.Spec.Weight);
        foreach (HostedVmResult vm in result.Vms)
        {
            Assert.Equal(HostedVmEnding.HostStopped, vm.Ending);
            Assert.InRange(vm.Fairness, 0.95, 1.05);
            if (vm.Spec.CapPercent == 0)
            {
                double owedByWeight = (double)(capacity - capped) * vm.Spec.Weight / uncappedWeight;
                Assert.InRange(vm.Given / owedByWeight, 0.95, 1.05);
            }
        }
    }

    [Fact]
    public void TheSameVmsGiveTheSameOutputsAndCountsWhateverTheThreads()
    {
        HostResult one = VmHost.Create(Fleet(), s_fleetHost with { Threads = 1 }).Run();
        HostResult two = VmHost.Create(Fleet(), s_fleetHost with { Threads = 2 }).Run();
        Assert.Equal(one.Rounds, two.Rounds);
        for (int i = 0; i < one.Vms.Count; i++)
        {
            Assert.Equal(one.Vms[i].Given, two.Vms[i].Given);
            Assert.Equal(one.Vms[i].Owed, two.Vms[i].Owed);
            Assert.Equal(one.Vms[i].Run.Console, two.Vms[i].Run.Console);
            Assert.Equal(one.Vms[i].Run.Statistics.Events, two.Vms[i].Run.Statistics.Events);
        }

        Assert.Contains(one.Vms, v => v.Run.Console.Length > 10);
    }

    public static TheoryData<string, BackendKind> HostileCases()
    {
        var cases = new TheoryData<string, BackendKind>();
        foreach (string kind in HostGuests.HostileKinds)
        {
            foreach (BackendKind backend in s_bareMetal)
            {
                cases.Add(kind, backend);
            }
        }

        cases.Add("hypercall-flood", BackendKind.Paravirtual);
        return cases;
    }

    [Theory]
    [MemberData(nameof(HostileCases))]
    public void AHostileVmHurtsOnlyItself(string kind, BackendKind backend)
    {
        byte[] hostile = kind == "hypercall-flood" ? HostGuests.PvHypercallFlood : HostGuests.Hostile(kind);
        byte[] worker = HostGuests.Worker(40_000);
        var vms = new List<HostedVmSpec> { new("hostile", hostile, Options(backend, max: 400_000)) };
        foreach (BackendKind neighbour in s_bareMetal.Take(3))
        {
            vms.Add(new HostedVmSpec($"well-behaved-{VmOptions.NameOf(neighbour)}", worker, Options(neighbour)));
        }

        HostResult result = VmHost.Create(vms, new HostOptions { Cpus = 1, PeriodInstructions = 20_000, RunFor = 20_000_000, Threads = 2 }).Run();

        foreach (HostedVmResult vm in result.Vms.Skip(1))
        {
            VmRunResult alone = VirtualMachine.Create(worker, vm.Spec.Options).Run();
            Assert.Equal(HostedVmEnding.Stopped, vm.Ending);
            Assert.Equal(alone.ExitCode, vm.ExitCode);
            Assert.Equal(alone.Console, vm.Run.Console);
            Assert.Equal(alone.Statistics.GuestInstructions, vm.Given);
            Assert.InRange(vm.Fairness, 0.95, 1.05);
            Assert.False(vm.EndedBadly);
        }
    }

    [Fact]
    public void AVmIdleInHltLeavesItsShareToTheOthers()
    {
        // A guest that programs the PIT for 1 kHz and sleeps in HLT between ticks, beside one that computes: with
        // equal weights on one CPU the computing one gets nearly all of it, because the sleeper is blocked.
        byte[] sleeper = Translator.Tests.Shared.MultibootImage.Build(a =>
        {
            Iced.Intel.Label top = a.CreateLabel();
            a.mov(Iced.Intel.AssemblerRegisters.esp, 0x9_0000);
            HostGuests.Gate(a, 0x20, h =>
            {
                h.mov(Iced.Intel.AssemblerRegisters.al, 0x20);
                h.@out(0x20, Iced.Intel.AssemblerRegisters.al);
                h.iretd();
            });
            foreach ((int port, int value) in new[] { (0x20, 0x11), (0x21, 0x20), (0x21, 0x04), (0x21, 0x01), (0x21, 0xFE), (0x43, 0x34), (0x40, 1193 & 0xFF), (0x40, 1193 >> 8) })
            {
                a.mov(Iced.Intel.AssemblerRegisters.al, (byte)value);
                a.@out((byte)port, Iced.Intel.AssemblerRegisters.al);
            }

            a.sti();
            a.Label(ref top);
            a.hlt();
            a.jmp(top);
        });
        var vms = new List<HostedVmSpec>
        {
            new("sleeper", sleeper, Options(BackendKind.Native)),
            new("worker", HostGuests.Spinner, Options(BackendKind.Native)),
        };
        HostResult result = VmHost.Create(vms, new HostOptions { Cpus = 1, PeriodInstructions = 20_000, RunFor = 4_000_000, Threads = 2 }).Run();

        HostedVmResult idle = result.Vms[0], busy = result.Vms[1];
        Assert.True(idle.BlockedPeriods > 0);
        Assert.True(busy.Given > result.VirtualTime * 9 / 10, $"worker got {busy.Given} of {result.VirtualTime}");
        Assert.True(idle.Given < result.VirtualTime / 20, $"sleeper used {idle.Given}");
        Assert.InRange(busy.Fairness, 0.95, 1.05);
    }
}
