using Translator.Guest;

namespace Translator.Guest.Tests;

/// <summary>
/// Pure integer code, run both as .NET code and as a guest image over the same inputs: every operator of every
/// integer type, conversions, compound assignment, ++/--, and the control flow around them.
/// </summary>
[GuestKernel]
public static partial class IntegerSemantics
{
    public const int Cases = 40;
    public const int Operations = PatternTableSemantics.First + PatternTableSemantics.Count;

    /// <summary>Pairs of operands, patched into the image by the test before boot.</summary>
    [InImage]
    private static readonly ulong[] Inputs = new ulong[Cases * 2];

    [Entry]
    private static void Run()
    {
        for (int i = 0; i < Cases; i++)
        {
            ulong a = Inputs[i * 2];
            ulong b = Inputs[i * 2 + 1];
            for (int op = 0; op < Operations; op++)
            {
                Console.WriteHex(Evaluate(op, a, b));
                Console.Write('\n');
            }
        }

        Machine.Exit(0);
    }

    internal static ulong S(int value) => (ulong)value;

    internal static ulong S(long value) => (ulong)value;

    public static ulong Evaluate(int op, ulong a, ulong b)
    {
        int ia = (int)a, ib = (int)b;
        uint ua = (uint)a, ub = (uint)b;
        long la = (long)a, lb = (long)b;
        short sa = (short)a, sb = (short)b;
        ushort wa = (ushort)a, wb = (ushort)b;
        sbyte ya = (sbyte)a, yb = (sbyte)b;
        byte ba = (byte)a, bb = (byte)b;
        char ca = (char)a;
        switch (op)
        {
            case 0: return S(ia + ib);
            case 1: return S(ia - ib);
            case 2: return S(ia * ib);
            case 3: return ib == 0 || (ia == int.MinValue && ib == -1) ? 7 : S(ia / ib);
            case 4: return ib == 0 || (ia == int.MinValue && ib == -1) ? 7 : S(ia % ib);
            case 5: return S(ia & ib);
            case 6: return S(ia | ib);
            case 7: return S(ia ^ ib);
            case 8: return S(ia << ib);
            case 9: return S(ia >> ib);
            case 10: return S(ia >>> ib);
            case 11: return S(-ia);
            case 12: return S(~ia);
            case 13: return ia < ib ? 1UL : 0;
            case 14: return ia <= ib ? 1UL : 0;
            case 15: return ia > ib ? 1UL : 0;
            case 16: return ia >= ib ? 1UL : 0;
            case 17: return ia == ib ? 1UL : 0;
            case 18: return ia != ib ? 1UL : 0;
            case 19: return ua + ub;
            case 20: return ua - ub;
            case 21: return ua * ub;
            case 22: return ub == 0 ? 7 : ua / ub;
            case 23: return ub == 0 ? 7 : ua % ub;
            case 24: return ua << ib;
            case 25: return ua >> ib;
            case 26: return ua < ub ? 1UL : 0;
            case 27: return ua >= ub ? 1UL : 0;
            case 28: return S(-ua);
            case 29: return ~ua;
            case 30: return S(la + lb);
            case 31: return S(la - lb);
            case 32: return S(la * lb);
            case 33: return lb == 0 || (la == long.MinValue && lb == -1) ? 7 : S(la / lb);
            case 34: return lb == 0 || (la == long.MinValue && lb == -1) ? 7 : S(la % lb);
            case 35: return S(la << ib);
            case 36: return S(la >> ib);
            case 37: return S(la >>> ib);
            case 38: return S(la & lb) ^ S(la | lb);
            case 39: return S(-la);
            case 40: return S(~la ^ lb);
            case 41: return la < lb ? 1UL : 0;
            case 42: return la <= lb ? 1UL : 0;
            case 43: return la > lb ? 1UL : 0;
            case 44: return la >= lb ? 1UL : 0;
            case 45: return la == lb ? 1UL : 0;
            case 46: return la != lb ? 1UL : 0;
            case 47: return a + b;
            case 48: return a - b;
            case 49: return a * b;
            case 50: return b == 0 ? 7 : a / b;
            case 51: return b == 0 ? 7 : a % b;
            case 52: return a << ib;
            case 53: return a >> ib;
            case 54: return a < b ? 1UL : 0;
            case 55: return a <= b ? 1UL : 0;
            case 56: return a > b ? 1UL : 0;
            case 57: return (b >> 40) == 0 ? 7 : a / (b >> 40);
            case 58: return (b >> 33) == 0 ? 7 : a % (b >> 33);
            case 59: return S(ua + ib);
            case 60: return S(ua * ib);
            case 61: return ua < ib ? 1UL : 0;
            case 62: return S(ia + lb);
            case 63: return S(sa * sb);
            case 64: return S(wa * wb);
            case 65: return S(ya * yb);
            case 66: return S(ba * bb);
            case 67: return S(sa + wb - ya + bb);
            case 68: return S((byte)(ba + bb));
            case 69: return S((sbyte)(ya + yb));
            case 70: return S((short)(sa * sb));
            case 71: return S((ushort)(wa - wb));
            case 72: return (char)(ca + 1);
            case 73: return S((int)la);
            case 74: return (uint)a;
            case 75: return S((long)ia);
            case 76: return (ulong)(uint)ia;
            case 77: return S((sbyte)ia) + (byte)ia;
            case 78: return S((short)ua) + (ushort)ua;
            case 79: return S(sa >> (ib & 15)) + S(wa >> (ib & 15));
            case 80: return CompoundNarrow(ba, bb, ya, sa);
            case 81: return IncrementsNarrow(ba, ya, wa, sa);
            case 82: return CompoundWide(la, lb, ib);
            case 83: return IncrementsWide(la, a);
            case 84: return Gcd(ua, ub);
            case 85: return Fibonacci((int)(ua % 24));
            case 86: return ShortCircuit(ia, ib);
            case 87: return Classify(ia);
            case 88: return ClassifyLong(la);
            case 89: return Loops(ua % 50, ub % 7);
            case 90: return Arrays(a, b);
            case 91: return SignedArrays(ya, sa, ia, la);
            case 92: return Statics(a, b);
            case 93: return Strings(ua);
            case 94: return S(ia < 0 ? -ia : ia);
            case 95: return (ulong)(ia > ib ? ua : ub);
            case 96: return DoWhile(ua % 1000);
            case 97: return ForEach(a);
            case 98: return Nested(ua % 9, ub % 9);
            case 99: return S(Power(ia, (int)(ub % 13)));
            case 100: return MixedCall(ba, ya, wa, sa, ua, ia, la, a);
            case 101: return S(ia * 3 + ib / 5 - (ia ^ 0x5A5A) % 1000);
            case 102: return S((la << 3) + (lb >> 61) - 12345678901L);
            case 103: return (a * 0x9E3779B97F4A7C15UL) >> 17;
            case 104: return (ulong)(ua * 2654435761U) ^ (ua >> 5);
            case 105: return !(ia < ib) && (ua != 0 || ub != 0) ? 1UL : 0;
            case 106: return S(ia / 7 + ia % -3);
            case 107: return S(la / 1000000007L + la % -13);
            case 108: return a / 10 + a % 10;
            case 109: return S(ia >> 31) + S(ia << 31);
            case 110: return S(la >> 63) + S(la << 63) + S(la >> 32) + S(la << 32);
            case 111: return a >> 32 | a << 32;
            case 112: return S(unchecked(int.MaxValue + ib));
            case 113: return S(unchecked(long.MinValue - lb));
            case 114: return ub % 3 == 0 ? a : ub % 3 == 1 ? b : a ^ b;
            case 115: return SwitchSmall(ba);
            case 116: return S((int)(byte)ia + (int)(sbyte)ib);
            case 117: return S((long)ua * (long)ub);
            case 118: return (ulong)ua * ub;
            case 119: return S(ia) * 3 + (ulong)ca;
        }

        return op >= PatternTableSemantics.First ? PatternTableSemantics.Evaluate(op, a, b) : ExpressionSemantics.Evaluate(op, a, b);
    }

    private static ulong CompoundNarrow(byte x, byte y, sbyte z, short w)
    {
        x += y;
        x *= 3;
        x <<= 1;
        z -= 100;
        z >>= 1;
        w ^= 0x1234;
        w *= 7;
        x |= (byte)w;
        return ((ulong)x << 40) | ((ulong)(byte)z << 32) | (ushort)w;
    }

    private static ulong IncrementsNarrow(byte x, sbyte y, ushort z, short w)
    {
        byte before = x++;
        sbyte old = y--;
        ++z;
        --w;
        return ((ulong)before << 56) | ((ulong)x << 48) | ((ulong)(byte)old << 40) | ((ulong)(byte)y << 32) | ((ulong)z << 16) | (ushort)w;
    }

    private static ulong CompoundWide(long x, long y, int shift)
    {
        x += y;
        x *= y | 1;
        x >>= shift;
        x ^= y;
        x -= 5;
        if (y != 0 && !(x == long.MinValue && y == -1))
        {
            x %= y;
        }

        return (ulong)x;
    }

    private static ulong IncrementsWide(long x, ulong y)
    {
        long first = x++;
        ulong second = --y;
        ulong third = y++;
        return (ulong)(first ^ x) + second * 3 + third;
    }

    private static uint Gcd(uint x, uint y) => y == 0 ? x : Gcd(y, x % y);

    private static uint Fibonacci(int n) => n < 2 ? (uint)n : Fibonacci(n - 1) + Fibonacci(n - 2);

    private static int s_sideEffects;

    private static bool Note(bool value)
    {
        s_sideEffects = s_sideEffects * 3 + (value ? 1 : 2);
        return value;
    }

    private static ulong ShortCircuit(int x, int y)
    {
        s_sideEffects = 0;
        bool r1 = Note(x > 0) && Note(y > 0);
        bool r2 = Note(x < y) || Note(x == 0);
        bool r3 = Note(x > 5) & Note(y < 5);
        bool r4 = Note(x != y) | Note(false) ^ Note(true);
        return (ulong)s_sideEffects * 16 + (r1 ? 8UL : 0) + (r2 ? 4UL : 0) + (r3 ? 2UL : 0) + (r4 ? 1UL : 0);
    }

    private static ulong Classify(int x)
    {
        switch (x & 15)
        {
            case 0:
                return 100;
            case 1:
            case 2:
                return 200;
            case 7:
                if (x < 0)
                {
                    return 300;
                }

                break;
            case 12:
                return 400;
            default:
                return (ulong)(x & 15) + 1000;
        }

        return 500;
    }

    private static ulong ClassifyLong(long x)
    {
        switch (x)
        {
            case 0:
                return 1;
            case -1:
                return 2;
            case long.MinValue:
                return 3;
            case 0x1_0000_0000L:
                return 4;
        }

        return (ulong)(x & 0xFF) + 10;
    }

    private static ulong Loops(uint n, uint skip)
    {
        ulong total = 0;
        for (uint i = 0; i < n; i++)
        {
            if (i == skip)
            {
                continue;
            }

            if (i > 40)
            {
                break;
            }

            total += i * i;
        }

        uint j = 0;
        while (true)
        {
            j++;
            if (j * j > n)
            {
                break;
            }
        }

        return total * 100 + j;
    }

    private static readonly ulong[] s_wide = new ulong[8];
    private static readonly ushort[] s_words = new ushort[8];
    private static readonly byte[] s_bytes = { 1, 2, 3, 250, 251, 252, 253, 254 };

    private static ulong Arrays(ulong x, ulong y)
    {
        for (int i = 0; i < s_wide.Length; i++)
        {
            s_wide[i] = x * (ulong)i + y;
            s_words[i] = (ushort)(x >> (i * 8));
        }

        s_wide[(int)(y & 7)] += x;
        s_words[(int)(x & 7)]++;
        s_words[(int)(y & 7)] *= 3;
        ulong sum = 0;
        for (int i = 0; i < 8; i++)
        {
            sum = sum * 31 + s_wide[i] + s_words[i] + s_bytes[(i + (int)(x & 7)) & 7];
        }

        return sum;
    }

    private static readonly sbyte[] s_signedBytes = new sbyte[4];
    private static readonly short[] s_shorts = new short[4];
    private static readonly int[] s_ints = { -1, -2, 3, int.MinValue };
    private static readonly long[] s_longs = { -5, long.MaxValue, 7, 9 };

    private static ulong SignedArrays(sbyte x, short y, int z, long w)
    {
        s_signedBytes[1] = x;
        s_shorts[2] = y;
        s_signedBytes[3] = (sbyte)(x * 2);
        s_shorts[3]--;
        s_shorts[3] = (short)(s_shorts[3] + y);
        long total = s_signedBytes[1] + s_shorts[2] + s_signedBytes[3] + s_shorts[3];
        total += s_ints[z & 3] + s_longs[(int)(w & 3)] * s_ints[1];
        s_shorts[3] = 0;
        return (ulong)total;
    }

    private static byte s_byte;
    private static sbyte s_sbyte = -3;
    private static short s_short;
    private static long s_long = -7;
    private static ulong s_ulong;
    private static bool s_flag;
    private static char s_char = 'A';

    private static ulong Statics(ulong x, ulong y)
    {
        s_byte = (byte)x;
        s_sbyte = -3;
        s_short = (short)(y >> 8);
        s_long = -7;
        s_ulong = x ^ y;
        s_flag = x > y;
        s_char = 'A';
        s_byte += 200;
        s_sbyte *= (sbyte)y;
        s_short >>= 3;
        s_long -= (long)x;
        s_ulong++;
        s_char++;
        return s_byte + (ulong)(long)s_sbyte + (ulong)(long)s_short + (ulong)s_long * 3 + s_ulong + (s_flag ? 1000UL : 0) + s_char;
    }

    private static readonly string s_text = "The kernel says: 0123456789";

    private static ulong Strings(uint x)
    {
        int index = (int)(x % (uint)s_text.Length);
        string local = "abc";
        return (ulong)s_text[index] * 1000 + (ulong)s_text.Length + local[(int)(x % 3)] + (ulong)"xyz".Length;
    }

    private static ulong DoWhile(uint n)
    {
        uint steps = 0;
        do
        {
            n = (n & 1) == 0 ? n / 2 : 3 * n + 1;
            steps++;
        }
        while (n > 1 && steps < 500);
        return steps;
    }

    private static ulong ForEach(ulong x)
    {
        ulong total = 0;
        foreach (byte value in s_bytes)
        {
            total = total * 7 + value + (x & 0xFF);
        }

        foreach (char c in "guest")
        {
            total ^= c;
        }

        return total;
    }

    private static ulong Nested(uint rows, uint columns)
    {
        ulong total = 0;
        for (uint r = 0; r < rows; r++)
        {
            for (uint c = 0; c < columns; c++)
            {
                if ((r + c) % 4 == 3)
                {
                    continue;
                }

                total += r * 10 + c;
                if (total > 300)
                {
                    break;
                }
            }
        }

        return total;
    }

    private static int Power(int x, int n)
    {
        int result = 1;
        while (n-- > 0)
        {
            result *= x;
        }

        return result;
    }

    private static ulong MixedCall(byte b, sbyte sb, ushort w, short s, uint u, int i, long l, ulong ul)
        => (ulong)(b + sb + w + s) + u + (ulong)i + (ulong)l + ul;

    private static ulong SwitchSmall(byte x)
    {
        switch (x % 5)
        {
            case 0: return 11;
            case 1: return 22;
            case 2: return 33;
            default: return (ulong)x;
        }
    }
}
