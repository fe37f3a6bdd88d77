namespace Translator.Samples;
using Translator.Guest;
using Machine = Translator.Guest.Machine; // the DSL's, not the namespace Translator.Machine (referenced for the translation)

/// <summary>
/// A CPU-bound kernel: the statistically dominant guest code of a VMM's efficiency argument. A prime sieve, CRC32,
/// a recursive quicksort and FNV-1a hashing, each checked against a known answer.
/// </summary>
[GuestKernel]
public static partial class Compute
{
    public const uint SieveLimit = 200_000;
    public const int SortCount = 4096;

    private static readonly byte[] Composite = new byte[SieveLimit];
    private static readonly uint[] CrcTable = new uint[256];
    private static readonly uint[] Numbers = new uint[SortCount];
    private static readonly string Pangram = "The quick brown fox jumps over the lazy dog";

    [Entry]
    private static void Main()
    {
        Console.WriteLine("Compute: sieve, CRC32, sort, hashing");

        Console.Write("primes below 200000: ");
        Console.WriteDecimal(CountPrimes(SieveLimit));
        Console.WriteLine();

        BuildCrcTable();
        Console.Write("crc32(pangram): ");
        Console.WriteHex(Crc32OfText(Pangram));
        Console.WriteLine();
        Console.Write("crc32(64 KiB pattern): ");
        Console.WriteHex(Crc32OfPattern(65536));
        Console.WriteLine();

        FillNumbers(12345);
        QuickSort(0, SortCount - 1);
        Console.Write("sorted 4096 numbers: ");
        Console.Write(IsSorted() ? "in order" : "OUT OF ORDER");
        Console.Write(", checksum ");
        Console.WriteHex(Checksum());
        Console.WriteLine();

        Console.Write("fnv1a64(pangram): ");
        Console.WriteHex(Fnv1a64(Pangram));
        Console.WriteLine();
        Console.Write("mixed hash of 1..100000: ");
        Console.WriteHex(MixRange(100_000));
        Console.WriteLine();
        Machine.Exit(0);
    }

    public static uint CountPrimes(uint limit)
    {
        for (uint i = 0; i < limit; i++)
        {
            Composite[i] = 0;
        }

        uint count = 0;
        for (uint i = 2; i < limit; i++)
        {
            if (Composite[i] != 0)
            {
                continue;
            }

            count++;
            for (uint multiple = i * 2; multiple < limit; multiple += i)
            {
                Composite[multiple] = 1;
            }
        }

        return count;
    }

    public static void BuildCrcTable()
    {
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            CrcTable[n] = c;
        }
    }

    private static uint CrcStep(uint crc, byte value) => CrcTable[(crc ^ value) & 0xFF] ^ (crc >> 8);

    public static uint Crc32OfText(string text)
    {
        uint crc = 0xFFFFFFFF;
        foreach (char c in text)
        {
            crc = CrcStep(crc, (byte)c);
        }

        return ~crc;
    }

    public static uint Crc32OfPattern(uint length)
    {
        uint crc = 0xFFFFFFFF;
        for (uint i = 0; i < length; i++)
        {
            crc = CrcStep(crc, (byte)(i * 7 + (i >> 8)));
        }

        return ~crc;
    }

    public static void FillNumbers(uint seed)
    {
        uint state = seed;
        for (int i = 0; i < SortCount; i++)
        {
            state = state * 1664525 + 1013904223;
            Numbers[i] = state >> 4;
        }
    }

    public static void QuickSort(int low, int high)
    {
        while (low < high)
        {
            uint pivot = Numbers[(low + high) / 2];
            int i = low, j = high;
            while (i <= j)
            {
                while (Numbers[i] < pivot)
                {
                    i++;
                }

                while (Numbers[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    uint swap = Numbers[i];
                    Numbers[i] = Numbers[j];
                    Numbers[j] = swap;
                    i++;
                    j--;
                }
            }

            // Recurse into the smaller half, loop on the larger: the stack stays logarithmic.
            if (j - low < high - i)
            {
                QuickSort(low, j);
                low = i;
            }
            else
            {
                QuickSort(i, high);
                high = j;
            }
        }
    }

    public static bool IsSorted()
    {
        for (int i = 1; i < SortCount; i++)
        {
            if (Numbers[i - 1] > Numbers[i])
            {
                return false;
            }
        }

        return true;
    }

    public static uint Checksum()
    {
        uint sum = 0;
        for (int i = 0; i < SortCount; i++)
        {
            sum = (sum << 5 | sum >> 27) ^ Numbers[i];
        }

        return sum;
    }

    public static ulong Fnv1a64(string text)
    {
        ulong hash = 0xCBF29CE484222325;
        foreach (char c in text)
        {
            hash ^= (byte)c;
            hash *= 0x100000001B3;
        }

        return hash;
    }

    /// <summary>A 64-bit finaliser (splitmix64) folded over a range: multiplication, shifts and xor at 64 bits.</summary>
    public static ulong MixRange(uint count)
    {
        ulong total = 0;
        for (uint i = 1; i <= count; i++)
        {
            ulong z = i * 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            total += z ^ (z >> 31);
        }

        return total;
    }
}
