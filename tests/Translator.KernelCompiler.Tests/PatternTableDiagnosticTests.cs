using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// The refusals of property patterns, constant tables, ranges and ConsoleText (TRN0030-TRN0033): each names the C#
/// feature in the user's words, says what to write instead, lands on the offending span and is the only error.
/// </summary>
public sealed class PatternTableDiagnosticTests
{
    private static string Kernel(string members) =>
        "using Translator.Guest;\n[GuestKernel]\npublic static partial class K\n{\n    [Entry] static void Start() { }\n"
        + "    static readonly int[] Table = new int[4];\n    public struct P { public int X; public int Twice => X * 2; }\n" + members + "\n}\n";

    public static TheoryData<string, string, string> Cases => new()
    {
        { "TRN0030", "static bool F(P p) => p is { [|Twice|]: 2 };", "A property in a property pattern ('Twice') is not supported in guest code: guest structs have fields: match a field, { Field: value }" },
        { "TRN0031", "static readonly string[] [|Names|] = new string[3];", "The table 'K.Names' cannot be laid out at build time: its rows are not listed, so they would be null; list every row at build time" },
        { "TRN0031", "static readonly byte[][] [|Rows|] = { new byte[] { 1 }, null! };", "The table 'K.Rows' cannot be laid out at build time: row 1 is not an array of constants or new T[length]" },
        { "TRN0032", "static void G(int[] a) { } static void F() { G([|Table[1..3]|]); }", "A slice used as an array or a string ('Table[1..3]') is not supported in guest code: a guest array is its elements after a length word" },
        { "TRN0032", "static void F() { foreach (int v in [|Table[1..]|]) { Table[0] = v; } }", "A foreach over a range of an array whose loop may change memory (here 'Table[0] = v') ('Table[1..]') is not supported in guest code: .NET loops over a copy" },
        { "TRN0033", "static int Count(ConsoleText t) => 0; static int F() => Count([|$\"n={1}\"|]);", "An interpolated string passed to a method inside an expression ('$\"n={1}\"') is not supported in guest code: make the call a statement of its own" },
        { "TRN0033", "static int N() => 1; static void Log(int v, ConsoleText t) { } static void F() { Log([|N()|], $\"x{2}\"); }", "An argument computed before an interpolated string the build writes at the call ('N()') is not supported in guest code: compute it into a local first" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void NamesTheFeatureOnItsSpanOnce(string id, string markedMembers, string message) =>
        FeatureDiagnosticTests.AssertOnlyErrorOnItsSpan(Kernel(markedMembers), id, message);
}
