using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using Translator.Translation.Discovery;
using Translator.Translation.Emission;
using Translator.Translation.Loading;

namespace Translator.Translation;

/// <summary>
/// Static binary translation of a multiboot v1 guest image into C#: code discovery by recursive descent, one method
/// per function-sized piece of a page's code (a function that runs on into the next page kept whole), entered at any
/// of its entries, condition-flag liveness, and plain C# for the integer instructions a compiler emits, with
/// everything else run through the machine's shared handlers.
/// </summary>
public static class BinaryTranslator
{
    /// <summary>
    /// Translates <paramref name="image"/> (an ELF32 or flat multiboot v1 image, as the machine's loader reads it).
    /// Throws <see cref="TranslationException"/> with a clear message for a malformed image.
    /// </summary>
    public static TranslationResult Translate(byte[] image, TranslationOptions options)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        GuestImage guest = GuestImage.Parse(image);
        string sha256;
        using (SHA256 hash = SHA256.Create())
        {
            sha256 = string.Concat(hash.ComputeHash(image).Select(b => b.ToString("x2")));
        }

        string className = options.ClassName ?? "Image_" + sha256.Substring(0, 12);
        var warnings = new List<string>();
        var functionStarts = new List<uint> { guest.Entry };
        functionStarts.AddRange(guest.Functions);
        List<PageCode> pages = new CodeDiscovery(guest, warnings).Discover(functionStarts.Concat(options.ExtraEntryPoints), functionStarts);
        if (guest.IsParavirtual)
        {
            // Hypercall sites become direct calls into the VMM; a privileged instruction refuses the image.
            HypercallSites.Mark(guest, pages, new Iced.Intel.IntelFormatter());
        }

        var emitter = new ImageEmitter(guest, options, sha256, className);
        string source = emitter.Emit(pages);
        return new TranslationResult(sha256, options.Namespace, className, source, emitter.Regions, emitter.Instructions, warnings) { Layout = emitter.Layout };
    }
}

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

    /// <summary>
    /// Mark translated methods <c>[MethodImpl(MethodImplOptions.AggressiveOptimization)]</c>, so the JIT compiles
    /// them fully optimized on their first call instead of starting them unoptimized (tiered compilation). Right for
    /// IL that the JIT compiles; a host that precompiles the translation to native code (ReadyToRun) turns it off,
    /// because crossgen2 leaves methods so marked to the JIT.
    /// </summary>
    public bool AggressiveOptimization { get; set; } = true;

    /// <summary>
    /// Translate only the methods (pieces of pages) holding one of these addresses (the blocks a run found hot), and
    /// number them as in the whole image's translation with the same entry points; null translates everything.
    /// Nothing chains from such a group into a method it does not hold: that exit returns to the dispatcher.
    /// </summary>
    public IReadOnlyCollection<uint>? MethodsHolding { get; set; }

    /// <summary>
    /// Names the method numbering the translation shares with others (groups of one image and entry set), emitted as
    /// <c>TranslatedImage.MethodNumbering</c>, so the machine lets translations of one numbering chain together.
    /// </summary>
    public string? MethodNumbering { get; set; }

    /// <summary>
    /// Make only the <see cref="TranslationResult.Layout"/> (each method's source and the tables), not the C# file:
    /// for a back end that compiles the methods from the layout (the direct IL one), which then does not pay for a
    /// file nobody reads. <see cref="TranslationResult.Source"/> is empty.
    /// </summary>
    public bool LayoutOnly { get; set; }
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

    /// <summary>The file's contents as data: its methods' sources and its tables (null only for a result made by hand).</summary>
    public TranslationLayout? Layout { get; set; }
}
