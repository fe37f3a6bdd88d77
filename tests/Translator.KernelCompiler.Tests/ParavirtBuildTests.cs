using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Translator.KernelCompiler.Tests;

/// <summary>
/// One source, two builds: what each build may reach (a hypercall only in the PV build, an intrinsic without a PV form
/// only in the bare-metal one), and the data layout both share.
/// </summary>
public sealed class ParavirtBuildTests
{
    private const string Prelude = "using Translator.Guest;\n";

    private static string Kernel(string start, string members = "") =>
        Prelude + "[GuestKernel]\npublic static partial class K\n{\n    [Entry] static void Start() { " + start + " }\n" + members + "\n}\n";

    private static string Generated(GeneratorOutcome outcome)
        => outcome.Result.Results.Single().GeneratedSources.Single(s => s.HintName == "K.Kernel.g.cs").SourceText.ToString();

    private static int ImageBytes(string generated, string member)
    {
        Match match = Regex.Match(generated, "ReadOnlySpan<byte> " + member + @" => new byte\[\]\s*\{([^}]*)\}");
        Assert.True(match.Success, member + " not emitted");
        return Regex.Matches(match.Groups[1].Value, "0x").Count;
    }

    [Fact]
    public void AHypercallReachedByTheBareMetalBuildIsTrn1002OnTheCall()
    {
        string source = Kernel("Hypercall.XenVersion(0, 0);");
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(outcome.Translator);
        Assert.Equal("TRN1002", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Hypercall.XenVersion(0, 0)", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
    }

    [Fact]
    public void AHypercallUnderIsParavirtualBuildsBothImages()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Kernel("if (KernelImage.IsParavirtual) { Hypercall.XenVersion(0, 0); } else { Cpu.Halt(); }"));
        Assert.Empty(outcome.Translator);
        string generated = Generated(outcome);
        Assert.True(ImageBytes(generated, "Image") > 0);
        Assert.True(ImageBytes(generated, "ParavirtImage") > 0);
        Assert.Contains("call    HYPERVISOR_xen_version", generated);
    }

    [Fact]
    public void AnIntrinsicWithoutAPvFormIsAWarningAndLeavesOnlyThePvImageEmpty()
    {
        string source = Kernel("s_x = (uint)Cpu.ReadMsr(0x10);", "static uint s_x;");
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(outcome.Translator);
        Assert.Equal("TRN1003", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal("Cpu.ReadMsr(0x10)", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        string generated = Generated(outcome);
        Assert.True(ImageBytes(generated, "Image") > 0);
        Assert.Equal(0, ImageBytes(generated, "ParavirtImage"));
    }

    [Fact]
    public void BothBuildsPlaceEveryFieldAtTheSameAddress()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Kernel("Gdt.Install(); Console.WriteLine(\"x\"); s_x = 1;", "static uint s_x;"));
        Assert.Empty(outcome.Translator);
        string generated = Generated(outcome);
        int paravirt = generated.IndexOf("ParavirtSymbols", StringComparison.Ordinal);
        foreach (string name in new[] { "K.s_x", "Gdt.Table", "Gdt.Tss", "boot stack" })
        {
            Match bare = Regex.Match(generated[..paravirt], "new\\(@\"" + Regex.Escape(name) + "\", (0x[0-9a-f]+)");
            Match pv = Regex.Match(generated[paravirt..], "new\\(@\"" + Regex.Escape(name) + "\", (0x[0-9a-f]+)");
            Assert.True(bare.Success && pv.Success, name);
            Assert.Equal(bare.Groups[1].Value, pv.Groups[1].Value);
        }
    }
}
