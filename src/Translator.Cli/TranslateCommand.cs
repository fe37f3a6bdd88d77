using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Translator.Translation;
using Translator.Vmm.Backends.Bt;

namespace Translator.Cli;

/// <summary>
/// <c>translator translate IMAGE|SAMPLE --out DIR</c>: writes the C# binary translation produces for an image (the
/// same code the bt backend compiles and runs, interpreter fallbacks recorded by earlier runs included), and a
/// one-line summary on stderr. With <c>--compile</c> the C# is also compiled in memory and precompiled to native code
/// as the run-time host does on a cache miss, which checks it builds and measures what a first run of an image pays.
/// </summary>
internal static class TranslateCommand
{
    public static readonly string[] Examples =
    [
        "translator translate tests/guests/build/sieve.elf --out sieve-bt",
        "translator translate Compute --out compute-bt --compile",
    ];

    public static Command Create()
    {
        Argument<string> source = CommonOptions.Source("IMAGE|SAMPLE|PROJECT",
            "A multiboot image, a sample kernel's name, or a guest project (.csproj or its folder)");
        var compile = new Option<bool>("--compile")
        {
            Description = "Also compile the C# and precompile it to native code, as a first bt run of the image does",
        };
        return CommonOptions.SourceToOutput("translate", "Write the C# that binary translation makes of an image, with a summary on stderr",
            source, ("DIR", "The folder the C# is written to"), compile, Execute);
    }

    public static int Execute(string source, string directory, bool compile, string? kernel, TextWriter stderr, Progress progress)
    {
        byte[]? image = GuestImageSource.Load(source, kernel, progress, stderr);
        if (image is null)
        {
            return ExitCodes.BadInput;
        }

        IReadOnlyList<uint> recorded = new TranslationCache().RecordedEntryPoints(TranslationCache.ImageHash(image));
        string? precompiler = ReadyToRunCompiler.ToolPath;
        var clock = Stopwatch.StartNew();
        TranslationResult result;
        try
        {
            result = progress.Step($"translating {source}", () => BinaryTranslator.Translate(image, TranslationCache.RunTimeTranslationOptions(recorded, precompiler)));
        }
        catch (TranslationException e)
        {
            stderr.WriteLine($"translator: {source} cannot be translated: {e.Message}");
            return ExitCodes.BadInput;
        }

        TimeSpan translateTime = clock.Elapsed;
        string path = Path.Combine(directory, result.ClassName + ".cs");
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(path, result.Source);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            stderr.WriteLine($"translator: cannot write '{path}': {e.Message}");
            return ExitCodes.BadInput;
        }

        string compiled = "";
        if (compile)
        {
            clock.Restart();
            try
            {
                byte[] assembly = progress.Step($"compiling the translation of {source}", () => TranslationCompiler.Compile(result.Source, result.ClassName));
                compiled = $"; compiled to {assembly.Length} bytes in {Milliseconds(clock.Elapsed)} ms";
                clock.Restart();
                string? problem = null;
                byte[]? native = progress.Step($"precompiling the translation of {source}",
                    () => ReadyToRunCompiler.TryCompile(precompiler, assembly, result.ClassName, out problem));
                compiled += native is not null
                    ? $", precompiled to {native.Length} bytes of ReadyToRun image in {Milliseconds(clock.Elapsed)} ms"
                    : problem is not null ? $", not precompiled: {problem}" : ", not precompiled (no crossgen2 beside the tool)";
            }
            catch (TranslationHostException e)
            {
                // A translator fault, not bad input: the C# is written above for inspection.
                stderr.WriteLine($"translator: {e.Message} (the C# is in {path})");
                return ExitCodes.Crashed;
            }
        }

        string extra = recorded.Count > 0 ? $", {recorded.Count} entry points recorded by earlier runs" : "";
        stderr.WriteLine($"translator: translated {source} ({image.Length} bytes) in {Milliseconds(translateTime)} ms: {result.Regions} regions, "
            + $"{result.Instructions} instructions, {result.Warnings.Count} warnings{extra}{compiled}; wrote {path}");
        foreach (string warning in result.Warnings)
        {
            stderr.WriteLine($"translator: warning: {warning}");
        }

        return 0;
    }

    private static string Milliseconds(TimeSpan time) => time.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
}
