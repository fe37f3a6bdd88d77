using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Translator.Translation.Generator;

/// <summary>The build-time translator's diagnostics (documented in AnalyzerReleases.Unshipped.md and docs/design-bt.md).</summary>
internal static class Diagnostics
{
    private const string Category = "Translator.Translation";

    public static readonly DiagnosticDescriptor MalformedImage = new(
        "TRN0100", "Guest image cannot be translated",
        "Guest image '{0}' cannot be translated: {1}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnreadableImage = new(
        "TRN0101", "Guest image cannot be read",
        "Guest image '{0}' cannot be read: {1}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InterpreterFallback = new(
        "TRN0102", "Part of a guest image runs on the interpreter",
        "Guest image '{0}': {1}", Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MachineNotReferenced = new(
        "TRN0103", "Translated code needs a reference to Translator.Machine",
        "Guest image '{0}' is not translated: the project must reference Translator.Machine, where the translated-code ABI (TranslatedImage) lives",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsafeNotAllowed = new(
        "TRN0104", "Translated code needs unsafe code allowed",
        "Guest image '{0}' is not translated: translated code uses pointers, so the project must set AllowUnsafeBlocks (GuestImages.targets does)",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor PrivilegedInstruction = new(
        "TRN0105", "PV image holds a privileged instruction",
        "Guest image '{0}' is not translated: {1}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InternalError = new(
        "TRN0199", "Binary translator internal error",
        "Guest image '{0}' could not be translated because of a translator fault ({1}); please report it", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new()
    {
        [MalformedImage.Id] = MalformedImage,
        [UnreadableImage.Id] = UnreadableImage,
        [InterpreterFallback.Id] = InterpreterFallback,
        [MachineNotReferenced.Id] = MachineNotReferenced,
        [UnsafeNotAllowed.Id] = UnsafeNotAllowed,
        [PrivilegedInstruction.Id] = PrivilegedInstruction,
        [InternalError.Id] = InternalError,
    };

    public static DiagnosticDescriptor ById(string id) => s_byId[id];
}
