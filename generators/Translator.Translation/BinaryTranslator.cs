using System;
using System.Collections.Generic;

namespace Translator.Translation;

/// <summary>What to translate besides the image itself, and how to name the result.</summary>
public sealed class TranslationOptions
{
    /// <summary>Namespace of the generated class.</summary>
    public string Namespace { get; set; } = "Translator.Translated";

    /// <summary>Name of the generated class; null derives <c>Image_&lt;first 12 hex digits of the hash&gt;</c>.</summary>
    public string? ClassName { get; set; }

    /// <summary>
    /// Code addresses to translate beyond what discovery finds (indirect targets recorded by an earlier run's
    /// interpreter fallbacks, interrupt handlers).
    /// </summary>
    public IReadOnlyCollection<uint> ExtraEntryPoints { get; set; } = Array.Empty<uint>();

    /// <summary>Emit a <c>[ModuleInitializer]</c> that registers the image in TranslationRegistry (build-time host).</summary>
    public bool RegisterOnLoad { get; set; }
}

/// <summary>One translated image as C# source.</summary>
public sealed class TranslationResult
{
    public TranslationResult(string imageSha256, string @namespace, string className, string source, int regions, int instructions, IReadOnlyList<string> warnings)
    {
        ImageSha256 = imageSha256;
        Namespace = @namespace;
        ClassName = className;
        Source = source;
        Regions = regions;
        Instructions = instructions;
        Warnings = warnings;
    }

    public string ImageSha256 { get; }

    public string Namespace { get; }

    public string ClassName { get; }

    /// <summary>One C# file: a class deriving from Translator.Machine.Translation.TranslatedImage.</summary>
    public string Source { get; }

    public int Regions { get; }

    public int Instructions { get; }

    /// <summary>What could not be translated and why (the code falls back to the interpreter there).</summary>
    public IReadOnlyList<string> Warnings { get; }
}
