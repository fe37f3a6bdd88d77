using System.Diagnostics;
using Translator.Machine;
using Translator.Machine.Loader;
using Translator.Vmm.Hosting;

namespace Translator.Vmm;

/// <summary>A hosted VM that could not be set up (bad image, options its backend cannot honour).</summary>
public sealed class HostedVmSetupException(int index, string message, Exception inner) : Exception(message, inner)
{
    /// <summary>The VM's position in the host's list.</summary>
    public int Index { get; } = index;
}

/// <summary>
/// Many VMs, any mix of backends, in one process: a proportional-share scheduler (<see cref="CreditScheduler"/>)
/// decides each accounting period, from virtual time alone, how many instructions each runnable VM retires; a pool
/// of host threads then runs those slices side by side. A VM touches nothing but its own machine, so what the
/// threads do in a round cannot depend on their timing: the same VMs and options give the same rounds, the same
/// slices and the same outputs, with one thread or many.
/// </summary>
/// <remarks>
/// A VM's guest time is its own (its instructions, plus what it skipped while halted), so its behaviour never
/// depends on its neighbours. The host's virtual time advances one period per round; a VM whose own clock has run
/// past the end of the current round (it halted, waiting for a timer that lies in the host's future) is blocked and
/// its share goes to the others: the scheduler is work-conserving. When every VM left is blocked, the host's time
/// jumps to the first one's clock.
/// </remarks>
public sealed class VmHost
{
    private readonly HostOptions _options;
    private readonly Slot[] _slots;

    private VmHost(HostOptions options, Slot[] slots)
    {
        _options = options;
        _slots = slots;
    }

    /// <summary>Builds every VM; throws <see cref="HostedVmSetupException"/> naming the first that cannot be built.</summary>
    public static VmHost Create(IReadOnlyList<HostedVmSpec> vms, HostOptions options)
    {
        ArgumentNullException.ThrowIfNull(vms);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Cpus < 1 || options.Threads < 1 || options.PeriodInstructions < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "a host needs at least one CPU, one thread and a period of one instruction");
        }

        var slots = new Slot[vms.Count];
        for (int i = 0; i < vms.Count; i++)
        {
            HostedVmSpec spec = vms[i];
            var slot = new Slot(spec);
            VmOptions vmOptions = options.ConsoleOutput is null ? spec.Options with { Console = null } : spec.Options with { Console = slot.Pending.WriteByte };
            try
            {
                slot.Machine = VirtualMachine.Create(spec.Image, vmOptions);
            }
            catch (Exception e) when (e is InvalidImageException or ArgumentException)
            {
                throw new HostedVmSetupException(i, e.Message, e);
            }

            slots[i] = slot;
        }

        return new VmHost(options, slots);
    }

    /// <summary>The VMs' machines, in order (their backends, for a caller that reports on them).</summary>
    public IReadOnlyList<VirtualMachine> Machines => _slots.Select(s => s.Machine).ToArray();

    /// <summary>Runs every VM until it stops or the host's virtual time runs out.</summary>
    public HostResult Run()
    {
        var wall = Stopwatch.StartNew();
        ulong period = _options.PeriodInstructions;
        ulong capacity = period * (ulong)_options.Cpus;
        ulong now = 0, rounds = 0, idle = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Threads };
        while (now < _options.RunFor && _slots.Any(s => s.Running))
        {
            Slot[] runnable = _slots.Where(s => s.Running && s.Machine.Backend.Cpu.Clock.Now < now + period).ToArray();
            foreach (Slot blocked in _slots.Where(s => s.Running && !runnable.Contains(s)))
            {
                blocked.BlockedPeriods++;
            }

            if (runnable.Length == 0)
            {
                // Everyone left is halted until a time in the host's future: skip to the period of the earliest.
                ulong earliest = _slots.Where(s => s.Running).Min(s => s.Machine.Backend.Cpu.Clock.Now);
                ulong skipped = Math.Max(1, (earliest - now) / period);
                idle += skipped;
                now += skipped * period;
                continue;
            }

            ulong[] entitled = CreditScheduler.Entitle(
                runnable.Select(s => new Claim(s.Spec.Weight, CreditScheduler.Limit(period, s.Spec.CapPercent))).ToArray(), capacity);
            for (int i = 0; i < runnable.Length; i++)
            {
                runnable[i].Grant(entitled[i]);
            }

            Parallel.ForEach(runnable.Where(s => s.Slice > 0), parallel, slot => slot.RunSlice());
            rounds++;
            now += period;
            for (int i = 0; i < runnable.Length; i++)
            {
                runnable[i].Settle(entitled[i], now);
            }

            DeliverConsoles();
        }

        var results = new HostedVmResult[_slots.Length];
        for (int i = 0; i < _slots.Length; i++)
        {
            results[i] = _slots[i].Finish();
        }

        DeliverConsoles();
        return new HostResult(results, rounds, now, idle, wall.Elapsed.TotalSeconds);
    }

    /// <summary>Each VM's console bytes of the round, on this thread and in the VMs' order, so the interleaving is fixed.</summary>
    private void DeliverConsoles()
    {
        if (_options.ConsoleOutput is not { } output)
        {
            return;
        }

        for (int i = 0; i < _slots.Length; i++)
        {
            MemoryStream pending = _slots[i].Pending;
            if (pending.Length > 0)
            {
                output(i, pending.GetBuffer().AsMemory(0, (int)pending.Length));
                pending.SetLength(0);
            }
        }
    }

    /// <summary>A VM under the host: its machine, its credit and its account.</summary>
    private sealed class Slot(HostedVmSpec spec)
    {
        public HostedVmSpec Spec { get; } = spec;

        public VirtualMachine Machine { get; set; } = null!;

        public MemoryStream Pending { get; } = new();

        /// <summary>Instructions this VM may still retire: what it was granted less what it used (an overrun is a debt).</summary>
        private long _credit;
        private ulong _startOfSlice;
        private MachineResult? _last;
        private MachineResult? _stopped;
        private string? _failure;

        public bool Running => _stopped is null && _failure is null;

        public ulong Slice { get; private set; }

        public ulong Given { get; private set; }

        public ulong Owed { get; private set; }

        public ulong BlockedPeriods { get; set; }

        public ulong EndedAt { get; private set; }

        public void Grant(ulong entitled)
        {
            _credit += (long)entitled;
            Slice = _credit > 0 ? (ulong)_credit : 0;
            _startOfSlice = Machine.Backend.GuestInstructions;
        }

        /// <summary>On a pool thread: this VM's slice of the round (it touches only its own machine).</summary>
        public void RunSlice()
        {
            try
            {
                MachineResult result = Machine.RunSlice(_startOfSlice + Slice);
                _last = result;
                bool ownBudgetSpent = result.Reason == MachineStopReason.BudgetExhausted
                    && Machine.Backend.GuestInstructions >= Spec.Options.MaxInstructions;
                if (result.Reason != MachineStopReason.BudgetExhausted || ownBudgetSpent)
                {
                    _stopped = result;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A fault of the tool in one VM must not take the others down: that VM ends, reported as ours.
                _failure = $"{e.GetType().Name}: {e.Message}";
            }
        }

        public void Settle(ulong entitled, ulong now)
        {
            ulong used = Machine.Backend.GuestInstructions - _startOfSlice;
            _credit -= (long)used;
            Given += used;

            // A VM that stopped in this period asked for no more than it used: it is owed no more.
            Owed += Running ? entitled : Math.Min(entitled, used);
            if (!Running)
            {
                EndedAt = now;
            }
        }

        public HostedVmResult Finish()
        {
            HostedVmEnding ending = _failure is not null ? HostedVmEnding.InternalError
                : _stopped is not null ? HostedVmEnding.Stopped
                : HostedVmEnding.HostStopped;
            MachineResult last = _stopped ?? _last ?? MachineResult.BudgetExhausted(0, Machine.Backend.Cpu.Eip);
            VmRunResult run;
            try
            {
                run = Machine.Finish(last);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _failure ??= $"{e.GetType().Name}: {e.Message}";
                ending = HostedVmEnding.InternalError;
                run = Machine.Finish(MachineResult.Halted("the tool failed while running this VM"));
            }

            return new HostedVmResult(Spec, run, ending, _failure, Given, Owed, BlockedPeriods, EndedAt);
        }
    }
}
