using Translator.Tests.Shared;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// The listing of each construct of issue 15's expression work, as committed snapshots: what a switch expression, a
/// pattern, a switch with patterns and when, an index from the end, a static local function, Math, BitOperations and a formatted console write
/// compile to.
/// </summary>
public sealed class LoweringSnapshotTests
{
    private const string Source = """
        using System.Numerics;
        using Translator.Guest;

        [GuestKernel]
        public static partial class Lowerings
        {
            private static readonly int[] Table = { 1, 2, 3 };

            [Entry]
            private static void Main()
            {
                uint cr3 = Cpu.ReadCr3();
                int n = Classify((int)cr3) + Pick((int)cr3, 2) + Last(1) + Bounded((int)cr3);
                Console.Write($"tick {n,8} cr3={cr3:X8} bits={Bits(cr3)}\n");
            }

            private static int Classify(int x) => x switch { < 0 => -1, 0 => 0, 1 or 2 => 1, _ => 2 };

            private static int Pick(int x, int y)
            {
                switch (x)
                {
                    case > 10 and < 20 when y > 1:
                        return 1;
                    case var v when v == y:
                        return 2;
                    default:
                        return x is not 0 ? 3 : 4;
                }
            }

            private static int Last(int i)
            {
                return Twice(Table[^i]);

                static int Twice(int v) => v * 2;
            }

            private static int Bounded(int x) => System.Math.Clamp(System.Math.Abs(x), 0, System.Math.Max(x, 10));

            private static int Bits(uint x) => BitOperations.TrailingZeroCount(x) + BitOperations.LeadingZeroCount(x)
                + BitOperations.Log2(x) + BitOperations.PopCount(x);
        }
        """;

    [Fact]
    public void LoweringsListing()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Source);
        Assert.Empty(outcome.Diagnostics);
        string generated = outcome.GeneratedSource("Lowerings.Kernel.g.cs");
        string start = "public const string Listing = @\"";
        int from = generated.IndexOf(start, StringComparison.Ordinal) + start.Length;
        int to = generated.IndexOf("\";\n", from, StringComparison.Ordinal);
        Snapshot.Verify("Lowerings.Listing", generated.Substring(from, to - from).Replace("\"\"", "\""), "txt");
    }
}
