using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Translator.KernelCompiler.Model;
using Translator.Translation.Generator.Model;

namespace Translator.Translation.Generator;

/// <summary>
/// The build-time host of binary translation: every <c>&lt;GuestImage Include="kernel.elf" /&gt;</c> item of a project
/// that imports GuestImages.targets is translated into a class registered in TranslationRegistry when the assembly
/// loads, so the bt backend finds it by the image's hash instead of translating at run time. Stages: read (the
/// image's bytes from its hexadecimal additional file), translate (the core, once per distinct image), emit.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class GuestImageGenerator : IIncrementalGenerator
{
    public const string GuestImagesStep = "GuestImages";
    public const string ProjectStep = "Project";
    public const string TranslationsStep = "Translations";

    /// <summary>Item metadata GuestImages.targets puts on the additional file of each guest image.</summary>
    public const string MarkerMetadata = "build_metadata.AdditionalFiles.TranslatorGuestImage";

    /// <summary>The original image path, for messages and diagnostics.</summary>
    public const string SourceMetadata = "build_metadata.AdditionalFiles.TranslatorGuestImageSource";

    /// <summary>The type translated code derives from; without it the generated code could not compile.</summary>
    public const string TranslatedImageType = "Translator.Machine.Translation.TranslatedImage";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<GuestImageInput> images = context.AdditionalTextsProvider
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Where(static pair => IsGuestImage(pair.Right.GetOptions(pair.Left)))
            .Select(static (pair, cancellation) => Read(pair.Left, pair.Right.GetOptions(pair.Left), cancellation))
            .WithTrackingName(GuestImagesStep);

        // What the project offers translated code: the ABI (Translator.Machine) and unsafe code.
        IncrementalValueProvider<(bool MachineReferenced, bool UnsafeAllowed)> project = context.CompilationProvider
            .Select(static (compilation, _) => (
                compilation.GetTypeByMetadataName(TranslatedImageType) is not null,
                compilation.Options is CSharpCompilationOptions { AllowUnsafe: true }))
            .WithTrackingName(ProjectStep);

        IncrementalValuesProvider<TranslatedSource> translations = images
            .Combine(project)
            .Select(static (pair, cancellation) => Translate(pair.Left, pair.Right, cancellation))
            .WithTrackingName(TranslationsStep);

        context.RegisterSourceOutput(translations.Collect(), static (output, all) => Emit(output, all));
    }

    private static bool IsGuestImage(AnalyzerConfigOptions options)
        => options.TryGetValue(MarkerMetadata, out string? marker) && string.Equals(marker, "true", StringComparison.OrdinalIgnoreCase);

    private static GuestImageInput Read(AdditionalText file, AnalyzerConfigOptions options, CancellationToken cancellation)
    {
        string path = options.TryGetValue(SourceMetadata, out string? source) && source.Length > 0 ? source : file.Path;
        SourceText? text = file.GetText(cancellation);
        if (text is null)
        {
            return new GuestImageInput(path, EquatableArray<byte>.Empty, "the file does not exist or cannot be opened");
        }

        byte[]? bytes = GuestImageText.TryDecode(text, out string? error);
        return bytes is null
            ? new GuestImageInput(path, EquatableArray<byte>.Empty, error)
            : new GuestImageInput(path, new EquatableArray<byte>(bytes), null);
    }

    private static TranslatedSource Translate(GuestImageInput image, (bool MachineReferenced, bool UnsafeAllowed) project, CancellationToken cancellation)
    {
        if (image.ReadError is not null)
        {
            return TranslatedSource.Failed(new ImageDiagnostic(Diagnostics.UnreadableImage.Id, image.ImagePath, image.ReadError));
        }

        if (!project.MachineReferenced)
        {
            return TranslatedSource.Failed(new ImageDiagnostic(Diagnostics.MachineNotReferenced.Id, image.ImagePath, ""));
        }

        if (!project.UnsafeAllowed)
        {
            return TranslatedSource.Failed(new ImageDiagnostic(Diagnostics.UnsafeNotAllowed.Id, image.ImagePath, ""));
        }

        cancellation.ThrowIfCancellationRequested();
        return GuestImageTranslation.Run(image.ImagePath, image.Bytes.AsSpan().ToArray(), new TranslationOptions { RegisterOnLoad = true });
    }

    private static void Emit(SourceProductionContext output, ImmutableArray<TranslatedSource> translations)
    {
        // The same image listed twice (under two paths) is one translation: one class, emitted once.
        var emitted = new HashSet<string>(StringComparer.Ordinal);
        foreach (TranslatedSource translation in translations)
        {
            foreach (ImageDiagnostic diagnostic in translation.Diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (translation.Source.Length > 0 && emitted.Add(translation.HintName))
            {
                output.AddSource(translation.HintName, SourceText.From(translation.Source, Encoding.UTF8));
            }
        }
    }
}
