using System;
using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Translator.Hypercalls.Generator.Model;
using Translator.KernelCompiler.Model;

namespace Translator.Hypercalls.Generator;

/// <summary>
/// The hypercall generator: the <c>[HypercallTable]</c> interface becomes, by the MSBuild property
/// <c>TranslatorHypercallSide</c>, the VMM's <c>HypercallDispatcher</c> and <c>HypercallPage</c> (<c>Vmm</c>) or the DSL's
/// <c>Translator.Guest.Hypercall</c> (<c>Guest</c>). Stages: parse (the table to an equatable model), side (the
/// property), emit (C# text, the page assembled with Iced).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class HypercallGenerator : IIncrementalGenerator
{
    public const string TablesStep = "HypercallTables";
    public const string SideStep = "HypercallSide";
    public const string OutputStep = "HypercallOutput";

    public const string SideProperty = "build_property.TranslatorHypercallSide";
    public const string VmmSide = "Vmm";
    public const string GuestSide = "Guest";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<HypercallTableModel> tables = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                HypercallTableParser.TableAttribute,
                static (node, _) => node is InterfaceDeclarationSyntax,
                static (syntax, cancellation) => HypercallTableParser.Parse(syntax, cancellation))
            .WithTrackingName(TablesStep);

        IncrementalValueProvider<string> side = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue(SideProperty, out string? value) ? value.Trim() : "")
            .WithTrackingName(SideStep);

        IncrementalValuesProvider<GeneratedFile> output = tables
            .Combine(side)
            .Select(static (pair, _) => Emit(pair.Left, pair.Right))
            .WithTrackingName(OutputStep);

        context.RegisterSourceOutput(tables, static (production, table) =>
        {
            foreach (DiagnosticInfo diagnostic in table.Diagnostics)
            {
                production.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });
        context.RegisterSourceOutput(output, static (production, file) =>
        {
            foreach (DiagnosticInfo diagnostic in file.Diagnostics)
            {
                production.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (file.Source.Length > 0)
            {
                production.AddSource(file.HintName, SourceText.From(file.Source, Encoding.UTF8));
            }
        });
    }

    private static GeneratedFile Emit(HypercallTableModel table, string side)
    {
        try
        {
            if (string.Equals(side, VmmSide, StringComparison.OrdinalIgnoreCase))
            {
                return new GeneratedFile("HypercallDispatcher.g.cs", HypercallTableEmitter.EmitVmm(table), EquatableArray<DiagnosticInfo>.Empty);
            }

            if (string.Equals(side, GuestSide, StringComparison.OrdinalIgnoreCase))
            {
                return new GeneratedFile("Hypercall.g.cs", HypercallTableEmitter.EmitGuest(table), EquatableArray<DiagnosticInfo>.Empty);
            }

            // No side: a project that links the table without the property gets nothing (and no error).
            EquatableArray<DiagnosticInfo> diagnostics = side.Length == 0
                ? EquatableArray<DiagnosticInfo>.Empty
                : new[] { DiagnosticInfo.Create(Diagnostics.UnknownSide, table.Location, side) }.ToEquatableArray();
            return new GeneratedFile("", "", diagnostics);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new GeneratedFile("", "", new[] { DiagnosticInfo.Create(Diagnostics.InternalError, table.Location, table.InterfaceName, e.Message) }.ToEquatableArray());
        }
    }
}
