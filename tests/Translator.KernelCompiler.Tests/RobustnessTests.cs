using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>Malformed or hostile input gets diagnostics, never an exception out of the generator.</summary>
public sealed class RobustnessTests
{
    public static TheoryData<string> Inputs => new()
    {
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { int x = ; } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { Missing(); } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { System.Action a = () => { }; a(); } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { L: goto L; } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { void Local() { } Local(); } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { string s = \"a\" + \"b\" + Start2(); } static string Start2() => \"c\"; }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { var t = (1, 2); double d = 1.5; d *= 2; } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { foreach (var x in new System.Collections.Generic.List<int>()) { } } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { int[] a = new int[3]; a = null; } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { } class Nested { } static int P { get; } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static unsafe void Start() { int x = 0; int** p = null; int* q = stackalloc int[4]; } }",
        "using Translator.Guest; [GuestKernel] public static partial class K<T> { [Entry] static void Start() { } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { lock (typeof(K)) { } throw null; } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { switch ((object)1) { case int i: break; } } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start() { } [Entry] static void Again() { } }",
        "using Translator.Guest; [GuestKernel] public static partial class K { [Entry] static void Start(ref int x) { } }",
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void BadInputIsReportedNotThrown(string source)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Assert.Null(outcome.Result.Results.Single().Exception);
        Assert.DoesNotContain(outcome.Diagnostics, d => d.Id is "CS8785" or "TRN0099");
        Assert.NotEmpty(outcome.Diagnostics);
    }
}
