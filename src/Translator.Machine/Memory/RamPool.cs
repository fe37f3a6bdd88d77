namespace Translator.Machine.Memory;

/// <summary>
/// Guest RAM handed out again instead of allocated anew, for callers that build many short-lived machines in a row
/// (the differential fuzzer builds six per program). A fresh pinned array costs its allocation and the first touch of
/// every page (kernel page faults, the largest item in such a run); a recycled one costs a clear. The pool is ambient
/// per thread: while <see cref="Current"/> is set, every <see cref="PhysicalMemory"/> built on that thread rents from
/// it, and <see cref="ReturnAll"/> takes everything back. Nothing else changes: a machine never knows.
/// </summary>
public sealed class RamPool
{
    [ThreadStatic]
    private static RamPool? t_current;

    private readonly Dictionary<int, Stack<byte[]>> _free = [];
    private readonly List<byte[]> _rented = [];

    /// <summary>The pool machines built on this thread draw RAM from; null (the default): every machine allocates its own.</summary>
    public static RamPool? Current
    {
        get => t_current;
        set => t_current = value;
    }

    /// <summary>Zeroed RAM of <paramref name="bytes"/>: a returned array cleared, or a new pinned one.</summary>
    internal byte[] Rent(int bytes)
    {
        byte[] ram;
        if (_free.TryGetValue(bytes, out Stack<byte[]>? free) && free.Count > 0)
        {
            ram = free.Pop();
            Array.Clear(ram);
        }
        else
        {
            ram = GC.AllocateArray<byte>(bytes, pinned: true);
        }

        _rented.Add(ram);
        return ram;
    }

    /// <summary>
    /// Takes back the RAM of every machine built since the last call. The caller promises those machines are no
    /// longer used (their memory is the next machine's).
    /// </summary>
    public void ReturnAll()
    {
        foreach (byte[] ram in _rented)
        {
            if (!_free.TryGetValue(ram.Length, out Stack<byte[]>? free))
            {
                _free[ram.Length] = free = new Stack<byte[]>();
            }

            free.Push(ram);
        }

        _rented.Clear();
    }
}
