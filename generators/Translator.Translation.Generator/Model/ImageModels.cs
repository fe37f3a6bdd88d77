using Microsoft.CodeAnalysis;
using Translator.KernelCompiler.Model;

namespace Translator.Translation.Generator.Model;

/// <summary>
/// A diagnostic about a guest image file, kept as values so that the models holding it stay equatable. It points
/// at the image file itself (there is no syntax to point at).
/// </summary>
internal sealed record ImageDiagnostic(string Id, string ImagePath, string Detail)
{
    public Diagnostic ToDiagnostic()
        => Diagnostic.Create(Diagnostics.ById(Id), Location.Create(ImagePath, default, default), ImagePath, Detail);
}

/// <summary>A <c>&lt;GuestImage&gt;</c> item as the compiler sees it: the image path and its bytes, or why they could not be read.</summary>
internal sealed record GuestImageInput(string ImagePath, EquatableArray<byte> Bytes, string? ReadError);

/// <summary>The translation of one image: the generated file (empty when there is none) and what to report.</summary>
internal sealed record TranslatedSource(string ImageSha256, string HintName, string Source, EquatableArray<ImageDiagnostic> Diagnostics)
{
    public static TranslatedSource Failed(ImageDiagnostic diagnostic) => new("", "", "", new EquatableArray<ImageDiagnostic>(new[] { diagnostic }));
}
