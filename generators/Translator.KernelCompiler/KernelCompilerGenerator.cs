using System.Collections.Immutable;
using System.IO;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Translator.KernelCompiler.Emitting;
using Translator.KernelCompiler.Linking;
using Translator.KernelCompiler.Model;
using Translator.KernelCompiler.Parsing;

namespace Translator.KernelCompiler;

/// <summary>
/// The kernel compiler: compiles every <c>[GuestKernel]</c> class, with the <c>[GuestCode]</c> classes it calls
/// (the guest library among them), to a bootable IA-32 multiboot image. Stages: parse (syntax and symbols to an
/// equatable model), link (reachability, layout, code generation with Iced, encoding), emit (C#).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class KernelCompilerGenerator : IIncrementalGenerator
{
    public const string KernelClassesStep = "KernelClasses";
    public const string GuestCodeClassesStep = "GuestCodeClasses";
    public const string AllGuestCodeStep = "AllGuestCode";
    public const string KernelImagesStep = "KernelImages";
    public const string CanHoldTranslationStep = "CanHoldTranslation";
    public const string KernelTranslationsStep = "KernelTranslations";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        context.RegisterPostInitializationOutput(AddGuestLibrary);

        IncrementalValuesProvider<GuestClassModel> kernels = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                GuestClassParser.KernelAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (syntax, cancellation) => GuestClassParser.Parse(syntax, isKernel: true, cancellation))
            .WithTrackingName(KernelClassesStep);

        IncrementalValuesProvider<GuestClassModel> code = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                GuestClassParser.CodeAttribute,
                static (node, _) => node is ClassDeclarationSyntax or StructDeclarationSyntax,
                static (syntax, cancellation) => GuestClassParser.Parse(syntax, isKernel: false, cancellation))
            .WithTrackingName(GuestCodeClassesStep);

        IncrementalValueProvider<ImmutableArray<GuestClassModel>> allCode = code.Collect().WithTrackingName(AllGuestCodeStep);

        IncrementalValuesProvider<KernelImageModel> images = kernels
            .Combine(allCode)
            .Select(static (pair, cancellation) => KernelLinker.Link(pair.Left, pair.Right, cancellation))
            .WithTrackingName(KernelImagesStep);

        // A project that can hold translated code (it references Translator.Machine and allows unsafe code) also gets
        // each image's binary translation, registered when the assembly loads, so the bt backend need not translate at
        // run time; any other project gets the image only.
        IncrementalValueProvider<bool> canHoldTranslation = context.CompilationProvider
            .Select(static (compilation, _) => KernelTranslation.CanHold(compilation))
            .WithTrackingName(CanHoldTranslationStep);

        IncrementalValuesProvider<KernelTranslationModel> translations = images
            .Combine(canHoldTranslation)
            .Where(static pair => pair.Right && pair.Left.Image.Count > 0)
            .Select(static (pair, _) => KernelTranslation.Translate(pair.Left))
            .WithTrackingName(KernelTranslationsStep);

        context.RegisterSourceOutput(kernels, static (output, model) => Report(output, model.Diagnostics));
        context.RegisterSourceOutput(code, static (output, model) => Report(output, model.Diagnostics));
        context.RegisterSourceOutput(images, static (output, image) =>
        {
            Report(output, image.Diagnostics);
            if (!image.CanBeExtended)
            {
                return;
            }

            string hint = (image.Namespace.Length > 0 ? image.Namespace + "." : "") + image.ClassName + ".Kernel.g.cs";
            output.AddSource(hint, SourceText.From(KernelEmitter.Emit(image), Encoding.UTF8));
        });
        context.RegisterSourceOutput(translations, static (output, translation) =>
        {
            Report(output, translation.Diagnostics);
            if (translation.Source.Length > 0)
            {
                output.AddSource(translation.HintName, SourceText.From(translation.Source, Encoding.UTF8));
            }
        });
    }

    private static void Report(SourceProductionContext output, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (DiagnosticInfo diagnostic in diagnostics)
        {
            output.ReportDiagnostic(diagnostic.ToDiagnostic());
        }
    }

    /// <summary>The guest library is DSL source shipped inside the generator and compiled into every guest project.</summary>
    private static void AddGuestLibrary(IncrementalGeneratorPostInitializationContext context)
    {
        Assembly assembly = typeof(KernelCompilerGenerator).Assembly;
        foreach (string name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith("GuestLibrary/", System.StringComparison.Ordinal))
            {
                continue;
            }

            using Stream stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            string file = name.Substring("GuestLibrary/".Length);
            context.AddSource("GuestLibrary." + file.Replace(".cs", ".g.cs"), SourceText.From(reader.ReadToEnd(), Encoding.UTF8));
        }
    }
}
