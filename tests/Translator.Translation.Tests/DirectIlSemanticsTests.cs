using System.Reflection;
using System.Reflection.Emit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Translator.Vmm.Backends.Bt.DirectIl;
using Xunit;

namespace Translator.Translation.Tests;

/// <summary>
/// C#'s integer semantics, as the direct IL back end applies them, against the C# compiler itself: random expressions
/// over the integer types (promotions, constant conversions, mixed signedness, shifts, division, casts, ?:) compiled
/// both ways and evaluated on the same inputs; every value, and every exception, must be the same. Expressions the C#
/// compiler rejects are dropped, so the generator need not know the rules it tests.
/// </summary>
public sealed class DirectIlSemanticsTests
{
    private const string Parameters = "uint a, int b, long c, ulong d, ushort e, sbyte f, byte g, short h";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomIntegerExpressionsAgreeWithTheCSharpCompiler(int seed)
    {
        var random = new Random(seed);
        var candidates = Enumerable.Range(0, 300).Select(i => $"public static ulong M{i}({Parameters}) {{ return unchecked((ulong)({Expression(random, 4)})); }}").ToList();
        List<string> methods = AcceptedByRoslyn(candidates, out Assembly roslyn);
        Assert.True(methods.Count >= 100, $"only {methods.Count} of the candidates compile");

        var direct = new Dictionary<string, DynamicMethod>();
        object[] constants = [];
        foreach (string method in methods)
        {
            // The subset has no checked/unchecked: unchecked is its (and C#'s) default.
            var set = new MethodSetCompiler();
            try
            {
                set.AddMethod(method.Replace("unchecked(", "("));
                foreach ((string name, DynamicMethod compiled) in set.Compile())
                {
                    direct[name] = compiled;
                }
            }
            catch (DirectIlException e)
            {
                Assert.Fail($"{method}\nthe C# compiler accepts it, the direct IL back end says: {e.Message}");
            }
        }

        Type type = roslyn.GetType("Expressions")!;
        object[][] inputs = Inputs(new Random(seed * 7919)).ToArray();
        foreach (string method in methods)
        {
            string name = method[(method.IndexOf(" M", StringComparison.Ordinal) + 1)..method.IndexOf('(')];
            MethodInfo expected = type.GetMethod(name)!;
            foreach (object[] input in inputs)
            {
                string want = Outcome(() => expected.Invoke(null, input));
                string got = Outcome(() => direct[name].Invoke(null, [constants, .. input]));
                Assert.True(want == got, $"{method}\ninputs {string.Join(", ", input)}: C# gives {want}, direct IL {got}");
            }
        }
    }

    private static string Outcome(Func<object?> call)
    {
        try
        {
            return "0x" + ((ulong)call()!).ToString("X16");
        }
        catch (TargetInvocationException e)
        {
            return e.InnerException!.GetType().Name;
        }
    }

    private static IEnumerable<object[]> Inputs(Random random)
    {
        object[] edges =
        [
            new object[] { 0u, 0, 0L, 0UL, (ushort)0, (sbyte)0, (byte)0, (short)0 },
            new object[] { uint.MaxValue, int.MinValue, long.MinValue, ulong.MaxValue, ushort.MaxValue, sbyte.MinValue, byte.MaxValue, short.MinValue },
            new object[] { 0x80000000u, -1, -1L, 0x8000000000000000UL, (ushort)0x8000, (sbyte)-1, (byte)0x80, (short)-1 },
            new object[] { 1u, int.MaxValue, long.MaxValue, 1UL, (ushort)1, sbyte.MaxValue, (byte)1, short.MaxValue },
        ];
        foreach (object[] edge in edges)
        {
            yield return edge;
        }

        for (int i = 0; i < 24; i++)
        {
            yield return
            [
                (uint)random.NextInt64(), (int)random.NextInt64(), random.NextInt64() - random.NextInt64(), (ulong)random.NextInt64() * 3,
                (ushort)random.Next(), (sbyte)random.Next(), (byte)random.Next(), (short)random.Next(),
            ];
        }
    }

    private static readonly string[] s_variables = ["a", "b", "c", "d", "e", "f", "g", "h"];
    private static readonly string[] s_operators = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"];
    private static readonly string[] s_comparisons = ["==", "!=", "<", ">", "<=", ">="];
    private static readonly string[] s_casts = ["uint", "int", "long", "ulong", "byte", "sbyte", "ushort", "short"];

    private static string Expression(Random random, int depth)
    {
        if (depth == 0 || random.Next(5) == 0)
        {
            return Leaf(random);
        }

        switch (random.Next(10))
        {
            case 0:
                return $"({s_casts[random.Next(s_casts.Length)]})({Expression(random, depth - 1)})";
            case 1:
                return $"({(random.Next(2) == 0 ? "~" : "-")}{Expression(random, depth - 1)})";
            case 2:
            {
                // Both branches of one type: C# 9 gives a ?: with no natural type the type its context needs, even
                // through overload resolution; the core never writes one, and the back end refuses it.
                string type = s_casts[random.Next(s_casts.Length)];
                return $"({Expression(random, depth - 1)} {s_comparisons[random.Next(s_comparisons.Length)]} {Expression(random, depth - 1)} ? ({type})({Expression(random, depth - 1)}) : ({type})({Expression(random, depth - 1)}))";
            }
            case 3:
                // A shift count is an int: masked as C# masks it.
                return $"({Expression(random, depth - 1)} {(random.Next(2) == 0 ? "<<" : ">>")} (int)({Expression(random, depth - 1)}))";
            default:
                return $"({Expression(random, depth - 1)} {s_operators[random.Next(s_operators.Length)]} {Expression(random, depth - 1)})";
        }
    }

    private static string Leaf(Random random) => random.Next(3) switch
    {
        0 or 1 => s_variables[random.Next(s_variables.Length)],
        _ => random.Next(6) switch
        {
            0 => random.Next(0, 40).ToString(System.Globalization.CultureInfo.InvariantCulture),
            1 => "0x" + ((uint)random.NextInt64()).ToString("X8") + "u",
            2 => ((uint)random.NextInt64()).ToString(System.Globalization.CultureInfo.InvariantCulture),
            3 => (random.NextInt64() >> random.Next(64)).ToString(System.Globalization.CultureInfo.InvariantCulture) + "L",
            4 => "0x" + ((ulong)random.NextInt64()).ToString("X") + "UL",
            _ => "-" + random.Next(1, 300).ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
    };

    /// <summary>The candidates the C# compiler accepts, compiled into one assembly (class <c>Expressions</c>).</summary>
    private static List<string> AcceptedByRoslyn(List<string> candidates, out Assembly assembly)
    {
        MetadataReference[] references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is "System.Runtime.dll" or "System.Private.CoreLib.dll")
            .Select(p => MetadataReference.CreateFromFile(p)).ToArray();
        var accepted = candidates;
        for (int attempt = 0; ; attempt++)
        {
            string source = "public static class Expressions {\n" + string.Join("\n", accepted) + "\n}";
            CSharpCompilation compilation = CSharpCompilation.Create("Expressions" + attempt, [CSharpSyntaxTree.ParseText(source)], references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release));
            using var stream = new MemoryStream();
            var result = compilation.Emit(stream);
            if (result.Success)
            {
                assembly = Assembly.Load(stream.ToArray());
                return accepted;
            }

            // Each method is one line (line 1 onwards): drop the lines with errors.
            var bad = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)
                .Select(d => d.Location.GetLineSpan().StartLinePosition.Line - 1).ToHashSet();
            accepted = accepted.Where((_, i) => !bad.Contains(i)).ToList();
            Assert.True(attempt < 5, "the candidates keep failing to compile");
        }
    }
}
