using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Translator.KernelCompiler.Model;

namespace Translator.Hypercalls.Generator.Model;

/// <summary>How an argument register is decoded.</summary>
internal enum ParameterKind
{
    Uint,
    Selector,
    GuestPointer,
}

/// <summary>
/// One argument: its name (as written, and as a C# identifier), its kind, and for a <see cref="ParameterKind.GuestPointer"/>
/// the values of its [GuestBuffer] (<see cref="CountFrom"/> is empty for a buffer of one element).
/// </summary>
internal sealed record HypercallParameter(
    string Name, string Identifier, ParameterKind Kind, int ElementBytes, string CountFrom, int MaxCount, bool Writable, bool Optional);

/// <summary>One hypercall of the table, valid (hypercalls with errors are left out of the model).</summary>
internal sealed record HypercallModel(
    int Number, string Name, string MethodName, string MethodIdentifier, bool NoReturn, string Summary, EquatableArray<HypercallParameter> Parameters);

/// <summary>The table: the interface (fully qualified, for the generated code) and its hypercalls ordered by number.</summary>
internal sealed record HypercallTableModel(
    string InterfaceName, LocationInfo? Location, EquatableArray<HypercallModel> Hypercalls, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>Where something is in source, as values (a <see cref="Location"/> holds a syntax tree).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location)
        => location?.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo? From(SyntaxNode? node) => From(node?.GetLocation());

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}

/// <summary>A diagnostic waiting to be reported, kept as values so that models holding it stay equatable.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments)
        => new(descriptor.Id, location, new EquatableArray<string>(arguments));

    public Diagnostic ToDiagnostic()
    {
        object[] arguments = new object[Arguments.Count];
        for (int i = 0; i < arguments.Length; i++)
        {
            arguments[i] = Arguments[i];
        }

        return Diagnostic.Create(Generator.Diagnostics.ById(Id), Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, arguments);
    }
}

/// <summary>One generated file, or none (empty source) with the diagnostics of the emitting stage.</summary>
internal sealed record GeneratedFile(string HintName, string Source, EquatableArray<DiagnosticInfo> Diagnostics);
