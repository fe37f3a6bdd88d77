using Translator.Machine.Devices;

namespace Translator.Machine.Tests.Devices;

/// <summary>Records every drive of every IRQ line, in order.</summary>
internal sealed class RecordingInterruptLines : IInterruptLines
{
    private readonly bool[] _levels = new bool[16];

    public List<(int Irq, bool Level)> Calls { get; } = [];

    public bool Level(int irq) => _levels[irq];

    public int RisingEdges(int irq)
    {
        int edges = 0;
        bool level = false;
        foreach ((int line, bool value) in Calls)
        {
            if (line != irq)
            {
                continue;
            }

            if (value && !level)
            {
                edges++;
            }

            level = value;
        }

        return edges;
    }

    public void SetIrq(int irq, bool level)
    {
        _levels[irq] = level;
        Calls.Add((irq, level));
    }
}
