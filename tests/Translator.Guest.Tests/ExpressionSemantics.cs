using System;
using System.Numerics;
using Translator.Guest;
using static Translator.Guest.Tests.IntegerSemantics;

namespace Translator.Guest.Tests;

/// <summary>
/// Operations 120 and up of <see cref="IntegerSemantics.Evaluate"/>: switch expressions, patterns (constant,
/// relational, and/or/not, var, when), switch statements on patterns, an index from the end, Math.Min/Max/Abs/Clamp
/// BitOperations, static local functions and switches on strings, run as .NET code and as guest code over the same operands.
/// </summary>
[GuestCode]
public static class ExpressionSemantics
{
    public const int First = 120;
    public const int Count = 48;

    private static readonly int[] s_table = { 3, -1, 4, -1, 5, -9, 2, 6 };
    private static readonly string s_word = "guest";

    public static ulong Evaluate(int op, ulong a, ulong b)
    {
        int ia = (int)a, ib = (int)b;
        uint ua = (uint)a, ub = (uint)b;
        long la = (long)a, lb = (long)b;
        short sa = (short)a;
        sbyte ya = (sbyte)a;
        byte ba = (byte)a;
        char ca = (char)a;
        return op switch
        {
            120 => S(Classify(ia)),
            121 => S(Classify(ib)),
            122 => ua switch { 0 => 10, 1 or 2 => 20, < 100 => 30, >= 0x8000_0000 => 40, _ => 50 },
            123 => la switch { < -1000 => 1, > 1000 and < 1_000_000 => 2, not 0 => 3, _ => 4 },
            124 => ca is >= 'a' and <= 'z' or >= 'A' and <= 'Z' ? 1UL : 0,
            125 => ya is not (< -10 or > 10) ? 1UL : 0,
            126 => (ulong)(ba switch { var x when x % 3 == 0 => x / 3, var x => x + 1000 }),
            127 => S(SwitchOnPatterns(ia, ib)),
            128 => S(SwitchOnPatterns(ib, ia)),
            129 => S(s_table[^((int)(ua % 8) + 1)]),
            130 => s_word[^((int)(ub % 5) + 1)],
            131 => S(Math.Min(ia, ib)),
            132 => S(Math.Max(ia, ib)),
            133 => Math.Min(ua, ub),
            134 => Math.Max(a, b),
            135 => S(Math.Min(la, lb)),
            136 => S(Math.Max(la, lb)),
            137 => ia == int.MinValue ? 7 : S(Math.Abs(ia)),
            138 => la == long.MinValue ? 7 : S(Math.Abs(la)),
            139 => sa == short.MinValue ? 7 : S(Math.Abs(sa)),
            140 => S(Math.Clamp(ia, -1000, 1000)),
            141 => S(Math.Clamp(la, Math.Min(lb, 0), Math.Max(lb, 0))),
            142 => Math.Clamp(ua, 10u, 0x1000u),
            143 => (ulong)BitOperations.TrailingZeroCount(ua),
            144 => (ulong)BitOperations.TrailingZeroCount(a),
            145 => (ulong)BitOperations.LeadingZeroCount(ua),
            146 => (ulong)BitOperations.LeadingZeroCount(b),
            147 => (ulong)BitOperations.Log2(ub),
            148 => (ulong)BitOperations.Log2(a),
            149 => (ulong)BitOperations.PopCount(ua),
            150 => (ulong)BitOperations.PopCount(b),
            151 => BitOperations.RotateLeft(ua, ib),
            152 => BitOperations.RotateRight(a, ib),
            153 => BitOperations.IsPow2(ua) ? 1UL : 0,
            154 => (ulong)BitOperations.TrailingZeroCount(ia) + (ulong)BitOperations.TrailingZeroCount(lb),
            155 => Bucket(ua) switch { 0 => a, 1 => b, _ => a ^ b },
            156 => (ulong)(ia is var v && v > 5 ? v : -v),
            157 => ua switch { _ when ub == 0 => 1, var x when x > ub => 2, var x when x == ub => 3, _ => 4 },
            158 => S(Math.Min(Math.Max(ia, ib), ia ^ ib)),
            159 => (ulong)BitOperations.LeadingZeroCount(ua >> (ib & 31)) * 1000 + (ulong)BitOperations.Log2(ua | 1),
            160 => S(NestedSwitch(ia, ib)),
            161 => (ulong)(char)(ca switch { 'a' => 'A', >= '0' and <= '9' => '#', _ => '?' }),
            162 => ub is 0 or 1 or 0xFFFF_FFFF ? 5UL : ub is > 1000 ? 6UL : 7UL,
            163 => S(CountMatches(ia)),
            164 => LocalFunctions(ia, ib),
            165 => LocalFunctions(ib, (int)(ua >> 3)),
            166 => S(Command(Word(ua)) * 100 + Command(Word(ub >> 7))),
            167 => S(CommandExpression(Word(ub)) + (Word(ua) is "run" ? 1000 : 0)),
            _ => 0,
        };
    }

    private static int Classify(int x) => x switch
    {
        int.MinValue => -100,
        < -1000 => -3,
        < 0 => -2,
        0 => 0,
        1 or 2 or 3 => 1,
        <= 1000 => 2,
        _ => 3,
    };

    private static int Bucket(uint x) => (int)(x % 3);

    private static int SwitchOnPatterns(int x, int y)
    {
        int result = 0;
        switch (x)
        {
            case 0:
                result = 1;
                break;
            case < 0 when y < 0:
                result = 2;
                break;
            case < 0:
                result = 3;
                break;
            case > 100 and < 200 or 500:
                result = 4;
                break;
            case var big when big > 1_000_000:
                result = 5 + (big & 7);
                break;
            default:
                result = 6;
                break;
        }

        return result;
    }

    private static int NestedSwitch(int x, int y) => (x & 3) switch
    {
        0 => (y & 1) switch { 0 => 10, _ => 11 },
        1 => y > 0 ? 12 : 13,
        2 when y == x => 14,
        _ => 15,
    };

    private static int CountMatches(int seed)
    {
        int count = 0;
        for (int i = 0; i < s_table.Length; i++)
        {
            if (s_table[i] is > 0 and not 4 || (s_table[i] ^ seed) is < 0)
            {
                count++;
            }
        }

        return count;
    }

    private static ulong LocalFunctions(int x, int y)
    {
        return Combine(Square(x), y) ^ (ulong)Factorial(y & 7);

        static ulong Square(int v) => (ulong)((long)v * v);

        static ulong Combine(ulong s, int t) => s * 31 + (ulong)Twice(t);

        static int Twice(int t) => t * 2;

        static int Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);
    }

    private static string Word(uint x) => (x % 6) switch { 0 => "probe", 1 => "run", 2 => "stop", 3 => "pro", 4 => "go", _ => "" };

    private static int Command(string s)
    {
        switch (s)
        {
            case "probe":
                return 1;
            case "run":
            case "go":
                return 2;
            case "":
                return 3;
            default:
                return 4;
        }
    }

    private static int CommandExpression(string s) => s switch { "stop" => 10, "pro" => 11, _ when s.Length > 3 => 12, _ => 13 };
}
