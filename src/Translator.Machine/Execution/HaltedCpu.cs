using Translator.Machine.Devices;

namespace Translator.Machine.Execution;

/// <summary>
/// What a CPU halted by HLT does until an interrupt wakes it, shared by bare metal and every VMM backend so that
/// idling, and the verdict that nothing can wake the guest any more, are the same everywhere: virtual time jumps
/// to the timer's next event; with IF clear and no NMI waiting, or no event left, the guest has halted for good.
/// <paramref name="nmiWaiting"/> says whether an NMI the processor may take is waiting (an NMI wakes HLT whatever
/// IF says); an NMI a timer would raise through LINT0 while the guest halts with IF clear is not waited for.
/// </summary>
public sealed class HaltedCpu(Func<bool> interruptRequested, ITimedDevice timer, VirtualClock clock, Func<bool>? nmiWaiting = null)
{
    /// <summary>The PC's: the 8259 pair requests, the 8254 wakes.</summary>
    public HaltedCpu(Pic8259Pair pic, Pit8254 pit, VirtualClock clock)
        : this(() => pic.InterruptRequested, pit, clock)
    {
    }

    /// <summary>Timer events that raise no interrupt request before the guest is declared halted for good.</summary>
    public const int MaxFruitlessWakeups = 10_000;

    private int _fruitlessWakeups;

    /// <summary>Timer events waited through without an interrupt so far (part of a snapshot).</summary>
    internal int FruitlessWakeups
    {
        get => _fruitlessWakeups;
        set => _fruitlessWakeups = value;
    }

    /// <summary>
    /// Idles until an interrupt is requested (returns null: resume the guest) or returns the halted-for-good
    /// result. <paramref name="interruptsEnabled"/> is the guest's IF; <paramref name="idle"/> names what idles in the verdict.
    /// </summary>
    public MachineResult? WaitForInterrupt(bool interruptsEnabled, uint eip, string idle = "HLT")
    {
        bool Nmi() => nmiWaiting is not null && nmiWaiting();
        if (!interruptsEnabled)
        {
            return Nmi() ? null : MachineResult.Halted($"{idle} with interrupts disabled at EIP 0x{eip:X8}");
        }

        while (!interruptRequested() && !Nmi())
        {
            ulong next = timer.NextDeadline;
            if (next == ulong.MaxValue || ++_fruitlessWakeups > MaxFruitlessWakeups)
            {
                return MachineResult.Halted($"{idle} with no interrupt source left at EIP 0x{eip:X8}");
            }

            clock.AdvanceTo(next);
            timer.Advance(next);
        }

        _fruitlessWakeups = 0;
        return null;
    }
}
