using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Translator.Hypercalls.Generator;

/// <summary>The hypercall generator's diagnostics (documented in AnalyzerReleases.Unshipped.md and README.md).</summary>
internal static class Diagnostics
{
    private const string Category = "Translator.Hypercalls";

    public static readonly DiagnosticDescriptor DuplicateNumber = Error(
        "TRN3001", "Two hypercalls with one number",
        "Hypercall number {0} is already '{1}'");

    public static readonly DiagnosticDescriptor NumberOutOfRange = Error(
        "TRN3002", "Hypercall number out of range",
        "Hypercall number {0} is outside 0..127: the hypercall page holds 128 stubs");

    public static readonly DiagnosticDescriptor DuplicateName = Error(
        "TRN3003", "Two hypercalls with one name",
        "Hypercall name '{0}' is already used by hypercall {1}");

    public static readonly DiagnosticDescriptor TooManyParameters = Error(
        "TRN3004", "Hypercall takes more than five arguments",
        "Hypercall '{0}' has {1} parameters: the arguments are EBX, ECX, EDX, ESI and EDI, five at most");

    public static readonly DiagnosticDescriptor UnsupportedParameterType = Error(
        "TRN3005", "Hypercall parameter type not supported",
        "Parameter '{0}' has type '{1}': a hypercall argument is 'uint' (optionally [Selector]) or 'GuestPointer' with [GuestBuffer], passed by value");

    public static readonly DiagnosticDescriptor CountFromNotUint = Error(
        "TRN3006", "GuestBuffer.CountFrom names no uint parameter",
        "CountFrom '{0}' of parameter '{1}' must name a 'uint' parameter of the same hypercall");

    public static readonly DiagnosticDescriptor ReturnType = Error(
        "TRN3007", "Hypercall must return int",
        "Hypercall '{0}' returns '{1}': a hypercall returns 'int', the value left in EAX");

    public static readonly DiagnosticDescriptor BufferOnNonPointer = Error(
        "TRN3008", "GuestBuffer on a parameter that is not a GuestPointer",
        "[GuestBuffer] on parameter '{0}' of type '{1}': only a 'GuestPointer' parameter describes guest memory");

    public static readonly DiagnosticDescriptor PointerWithoutBuffer = Error(
        "TRN3009", "GuestPointer parameter without GuestBuffer",
        "Parameter '{0}' is a 'GuestPointer' without [GuestBuffer]: the dispatcher needs its size to check it");

    public static readonly DiagnosticDescriptor SelectorOnNonUint = Error(
        "TRN3010", "Selector on a parameter that is not uint",
        "[Selector] on parameter '{0}' of type '{1}': a selector argument is a 'uint'");

    public static readonly DiagnosticDescriptor BadBufferValues = Error(
        "TRN3011", "GuestBuffer values out of range",
        "[GuestBuffer] on parameter '{0}': {1}");

    public static readonly DiagnosticDescriptor MemberShape = Error(
        "TRN3012", "Hypercall table member is not a hypercall",
        "'{0}' cannot be in the hypercall table: {1}");

    public static readonly DiagnosticDescriptor BadName = Error(
        "TRN3013", "Hypercall name is not a counter name",
        "Hypercall name '{0}' must be lowercase letters, digits and '_', starting with a letter (it names the counter hypercall.<name>)");

    public static readonly DiagnosticDescriptor TableShape = Error(
        "TRN3014", "Hypercall table has the wrong shape",
        "'{0}' cannot be the hypercall table: {1}");

    public static readonly DiagnosticDescriptor UnknownSide = Error(
        "TRN3015", "Unknown TranslatorHypercallSide",
        "TranslatorHypercallSide is '{0}': use 'Vmm' or 'Guest'");

    public static readonly DiagnosticDescriptor InternalError = Error(
        "TRN3099", "Hypercall generator internal error",
        "The hypercall generator failed on '{0}': {1}");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new()
    {
        [DuplicateNumber.Id] = DuplicateNumber,
        [NumberOutOfRange.Id] = NumberOutOfRange,
        [DuplicateName.Id] = DuplicateName,
        [TooManyParameters.Id] = TooManyParameters,
        [UnsupportedParameterType.Id] = UnsupportedParameterType,
        [CountFromNotUint.Id] = CountFromNotUint,
        [ReturnType.Id] = ReturnType,
        [BufferOnNonPointer.Id] = BufferOnNonPointer,
        [PointerWithoutBuffer.Id] = PointerWithoutBuffer,
        [SelectorOnNonUint.Id] = SelectorOnNonUint,
        [BadBufferValues.Id] = BadBufferValues,
        [MemberShape.Id] = MemberShape,
        [BadName.Id] = BadName,
        [TableShape.Id] = TableShape,
        [UnknownSide.Id] = UnknownSide,
        [InternalError.Id] = InternalError,
    };

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static DiagnosticDescriptor Error(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
