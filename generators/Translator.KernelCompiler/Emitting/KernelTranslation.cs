using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Translator.KernelCompiler.Model;
using Translator.Translation;

namespace Translator.KernelCompiler.Emitting;

/// <summary>The binary translation of a kernel's image (C#), or why there is none.</summary>
internal sealed record KernelTranslationModel(string HintName, string Source, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// Translates a kernel's bare-metal image with the translation core into a class <c>&lt;Kernel&gt;Translation</c>
/// beside the kernel class, registered in TranslationRegistry when the assembly loads.
/// </summary>
internal static class KernelTranslation
{
    /// <summary>The type translated code derives from; a project without it gets no translation.</summary>
    public const string TranslatedImageType = "Translator.Machine.Translation.TranslatedImage";

    /// <summary>Translated code derives from TranslatedImage and uses pointers: the project needs both.</summary>
    public static bool CanHold(Compilation compilation)
        => compilation.Options is CSharpCompilationOptions { AllowUnsafe: true } && compilation.GetTypeByMetadataName(TranslatedImageType) is not null;

    public static KernelTranslationModel Translate(KernelImageModel kernel)
    {
        var options = new TranslationOptions
        {
            Namespace = kernel.Namespace.Length > 0 ? kernel.Namespace : "Translator.Translated",
            ClassName = kernel.ClassName + "Translation",
            RegisterOnLoad = true,
        };
        try
        {
            TranslationResult result = BinaryTranslator.Translate(kernel.Image.AsSpan().ToArray(), options);
            return new KernelTranslationModel(result.Namespace + "." + result.ClassName + ".Translation.g.cs", result.Source, EquatableArray<DiagnosticInfo>.Empty);
        }
#pragma warning disable CA1031 // A generator never throws: a rejected image or a translator fault is reported on the kernel.
        catch (Exception e)
#pragma warning restore CA1031
        {
            DiagnosticInfo failure = DiagnosticInfo.Create(Diagnostics.InternalError, null, kernel.ClassName, "binary translation of its image failed: " + e.Message);
            return new KernelTranslationModel("", "", new EquatableArray<DiagnosticInfo>(new[] { failure }));
        }
    }
}
