using Translator.Guest;
using static Translator.Guest.Tests.IntegerSemantics;

namespace Translator.Guest.Tests;

public enum RunState : byte
{
    Idle,
    Ready,
    Blocked,
}

public struct SavedFrame
{
    public uint Eip;
    public uint Eflags;
}

public struct TaskEntry
{
    public RunState State;
    public uint Ticks;
    public SavedFrame Frame;
    public long Work;
}

/// <summary>
/// Operations 168 and up of <see cref="IntegerSemantics.Evaluate"/>: property patterns on structs (in <c>is</c>,
/// switch expressions and statements, nested and extended, with relational/and/or/not, <c>when</c> and a
/// designation), tables of strings and jagged tables indexed at run time, and <c>foreach</c> over ranges of arrays
/// and strings, run as .NET code and as guest code over the same operands. Nothing keeps state between operations
/// (a table written is restored), since .NET runs them again in one process and the guest boots afresh.
/// </summary>
[GuestCode]
public static class PatternTableSemantics
{
    public const int First = 168;
    public const int Count = 18;

    private static readonly string[] Names = { "idle", "ready", "blocked", "", "a much longer name" };
    private static readonly byte[][] Rows = { new byte[] { 1, 2, 3 }, [250, 5], new byte[4], [7] };
    private static readonly short[][] Signed = { [-1, -32768, 32767], [] };
    private static readonly int[] Values = { 3, -1, 4, -1, 5, -9, 2, 6, 5 };
    private static readonly string Word = "interrupt";
    private static readonly TaskEntry[] Tasks = new TaskEntry[3];

    public static ulong Evaluate(int op, ulong a, ulong b)
    {
        uint ua = (uint)a, ub = (uint)b;
        int ia = (int)a, ib = (int)b;
        TaskEntry t = Make(a, b);
        return op switch
        {
            168 => t is { State: RunState.Ready, Ticks: > 10 } ? 1UL : 0,
            169 => (t is { Frame: { Eip: 0 } } ? 1UL : 0) + (t is { Frame.Eflags: > 0x200 and < 0x1000 } ? 2UL : 0),
            170 => S(Rank(t, ib)),
            171 => S(Kind(t)),
            172 => t is { Ticks: > 5, State: not RunState.Blocked } copy && copy.Frame.Eip == t.Frame.Eip ? copy.Ticks ^ (uint)copy.Work : 7,
            173 => (t is not { State: RunState.Idle } ? 1UL : 0) + (t is { Work: < 0 or > 1_000_000 } ? 10UL : 0),
            174 => (Names[ua % 5] is { Length: > 4 } ? 1UL : 0) + (Values is { Length: 9 } ? 2UL : 0) + (Word is { Length: < 3 } ? 4UL : 0),
            175 => InTable(ua, ub),
            176 => (ulong)Names[ua % 5].Length * 1000 + (Names[ua % 5].Length > 0 ? Names[ua % 5][(int)(ub % (uint)Names[ua % 5].Length)] : 0u),
            177 => RowCell(ua, ub),
            178 => Hash(),
            179 => WriteRow(ua, ub),
            180 => SwapNames(ua, ub),
            181 => (ulong)Names[^1].Length * 100 + Rows[^1][^1] + (ulong)Rows[^2].Length * 10000 + (ulong)(long)Signed[0][^2],
            182 => S(SumRange(ua, ub)),
            183 => S(WordTail(ub)),
            184 => S(RowTail(ua)),
            185 => S(SkipRange(ib)),
            _ => 0,
        };
    }

    private static TaskEntry Make(ulong a, ulong b)
    {
        TaskEntry t = default;
        t.State = (RunState)((uint)a % 3);
        t.Ticks = (uint)(a >> 8) % 32;
        t.Frame.Eip = (uint)b % 4 == 0 ? 0 : (uint)b;
        t.Frame.Eflags = (uint)(b >> 20) & 0x1FFF;
        t.Work = (long)b >> 5;
        return t;
    }

    private static int Rank(TaskEntry t, int limit) => t switch
    {
        { State: RunState.Idle, Frame.Eip: >= 0x1000 and < 0x80000000 } => 1,
        { Ticks: var n } when n > 20 && limit > 0 => 2,
        { State: not RunState.Blocked, Frame: { Eflags: 0 or 0x202 } } => 3,
        { Work: < -5 } => 4,
        _ => 5,
    };

    private static int Kind(TaskEntry t)
    {
        switch (t)
        {
            case { Frame: { Eip: 0, Eflags: < 0x100 } }:
                return 10;
            case { State: RunState.Blocked } when t.Ticks < 16:
                return 20;
            case { State: RunState.Ready or RunState.Idle, Ticks: >= 8 and <= 24 }:
                return 30;
            default:
                return 40;
        }
    }

    private static ulong InTable(uint a, uint b)
    {
        Tasks[a % 3] = Make(a, b);
        ref TaskEntry entry = ref Tasks[a % 3];
        ulong result = entry is { State: RunState.Ready } or { Ticks: 0 } ? 1UL : 0;
        entry.Ticks = 0;
        return result + (Tasks[a % 3] is { Ticks: 0 } ? 2UL : 0);
    }

    private static ulong RowCell(uint a, uint b)
    {
        byte[] row = Rows[a % (uint)Rows.Length];
        return (ulong)row.Length * 1000 + (row.Length > 0 ? row[(int)(b % (uint)row.Length)] : 0UL) + (ulong)Signed[b & 1].Length * 100000;
    }

    private static ulong Hash()
    {
        ulong hash = 17;
        foreach (string name in Names)
        {
            foreach (char c in name)
            {
                hash = hash * 31 + c;
            }

            hash += (ulong)name.Length;
        }

        foreach (short[] row in Signed)
        {
            foreach (short v in row)
            {
                hash = hash * 7 + (ulong)(long)v;
            }
        }

        return hash;
    }

    private static ulong WriteRow(uint a, uint b)
    {
        byte[] row = Rows[a % 3];
        int i = (int)(b % (uint)row.Length);
        byte saved = row[i];
        Rows[a % 3][i] = (byte)(a >> 3);
        ulong sum = 0;
        foreach (byte v in Rows[a % 3])
        {
            sum = sum * 257 + v;
        }

        row[i] = saved;
        return sum;
    }

    private static ulong SwapNames(uint a, uint b)
    {
        int i = (int)(a % 5), j = (int)(b % 5);
        string saved = Names[i];
        Names[i] = Names[j];
        ulong result = (ulong)Names[i].Length * 100 + (ulong)Names[j].Length;
        Names[i] = saved;
        return result + (ulong)Names[i].Length * 10000;
    }

    private static int SumRange(uint a, uint b)
    {
        int start = (int)(a % 10);
        int end = start + (int)(b % (uint)(10 - start));
        int sum = 0;
        foreach (int v in Values[start..end])
        {
            sum = sum * 3 + v;
        }

        foreach (int v in Values[..^(start % 9)])
        {
            sum += v;
        }

        return sum;
    }

    private static int WordTail(uint b)
    {
        int hash = 0;
        foreach (char c in Word[^(int)(b % 10)..])
        {
            hash = hash * 31 + c;
        }

        return hash;
    }

    private static int RowTail(uint a)
    {
        int sum = 0;
        foreach (byte v in Rows[a % 4][1..])
        {
            sum = sum * 5 + v;
        }

        return sum;
    }

    private static int SkipRange(int x)
    {
        int count = 0;
        foreach (int v in Values[1..^1])
        {
            if (v == (x & 7))
            {
                break;
            }

            if (v < 0)
            {
                continue;
            }

            count += v;
        }

        return count;
    }
}
