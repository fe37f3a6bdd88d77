namespace Translator.Machine.Devices;

/// <summary>
/// Virtual time in nanoseconds. The machine advances it by one nanosecond per retired guest instruction
/// (a 1 GHz, one-instruction-per-cycle model), and jumps it forward while the CPU halts, so every run is deterministic.
/// </summary>
public sealed class VirtualClock
{
    public const ulong NanosecondsPerInstruction = 1;

    public ulong Now { get; private set; }

    public void AdvanceTo(ulong time)
    {
        if (time > Now)
        {
            Now = time;
        }
    }

    public void Advance(ulong nanoseconds) => Now += nanoseconds;

    /// <summary>
    /// Takes back an <see cref="Advance"/> that only showed a callee the time of an instruction boundary inside code
    /// whose instructions are counted when it returns (translated code's direct hypercalls).
    /// </summary>
    internal void Rewind(ulong nanoseconds) => Now -= nanoseconds;
}
