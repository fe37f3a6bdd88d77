using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Translator.Samples;
using Translator.Vmm;

namespace Translator.Cli;

/// <summary>The arguments and options several commands share, each spelled and checked in one place.</summary>
internal static class CommonOptions
{
    /// <summary>IMAGE|SAMPLE|PROJECT: an image file, a sample built into the tool, or a guest project (.csproj or its folder).</summary>
    public static Argument<string> Source(string helpName, string description)
    {
        var source = new Argument<string>(helpName) { HelpName = helpName, Description = description };
        source.CompletionSources.Add(_ => SampleCatalog.Names);
        return source;
    }

    public static Option<string?> Kernel() => new("--kernel")
    {
        HelpName = "NAME",
        Description = "The [GuestKernel] class to use when the project holds several",
    };

    public static Option<bool> ShowProgress() => new("--progress")
    {
        Description = "Report progress on stderr as plain lines, for logs (on a terminal it is shown anyway)",
    };

    /// <summary>The instruction budget; 0 (never valid on the command line) when the option is absent: see <see cref="Budget"/>.</summary>
    public static Option<ulong> MaxInstructions() => new("--max-instructions")
    {
        HelpName = "N",
        Description = "Stop the guest after N retired instructions (exit code 6); no limit when absent",
        CustomParser = result => Parse(result, 0UL, "--max-instructions needs a positive integer", text =>
            ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) && n > 0 ? n : null),
    };

    /// <summary>The budget a <see cref="MaxInstructions"/> value stands for: none when the option was absent.</summary>
    public static ulong Budget(ulong value) => value > 0 ? value : ulong.MaxValue;

    public static Option<int> Memory() => new("--memory")
    {
        HelpName = "MIB",
        Description = "Guest RAM in MiB, 2 to 3072",
        DefaultValueFactory = _ => 128,
        CustomParser = result => Parse(result, 128, "--memory needs a size in MiB between 2 and 3072", text =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int mib) && mib is >= 2 and <= 3072 ? mib : null),
    };

    /// <summary>An option that takes one of a few words, each standing for a value; the first is the default.</summary>
    /// <summary>
    /// <c>--execution tiered|interpreter|translated</c>: start on the interpreter and swap translated code in once it is
    /// compiled (the default), or force one tier (docs/tiered-translation.md).
    /// </summary>
    public static Option<ExecutionTier> Execution(string appliesTo)
    {
        Option<ExecutionTier> option = Choice("--execution",
            appliesTo + "start on the interpreter and swap in translated code compiled in the background (tiered, the default), "
            + "or force the interpreter or translated code from the first instruction",
            ("tiered", ExecutionTier.Tiered), ("interpreter", ExecutionTier.Interpreter), ("translated", ExecutionTier.Translated));
        option.DefaultValueFactory = _ => ExecutionTier.Tiered; // not the enum's first value
        return option;
    }

    public static Option<T> Choice<T>(string name, string description, params (string Name, T Value)[] choices)
    {
        var option = new Option<T>(name)
        {
            HelpName = string.Join('|', choices.Select(c => c.Name)),
            Description = description,
            CustomParser = result => Choose(result, choices[0].Value, choices),
        };
        option.CompletionSources.Add(choices.Select(c => c.Name).ToArray());
        return option;
    }

    /// <summary>
    /// The shape of <c>image</c> and <c>translate</c>: one source, <c>--out</c>, one switch of the command's own,
    /// <c>--kernel</c> and <c>--progress</c>; <paramref name="execute"/> gets them in that order, and stderr.
    /// </summary>
    public static Command SourceToOutput(string name, string description, Argument<string> source, (string HelpName, string Description) output,
        Option<bool> flag, Func<string, string, bool, string?, TextWriter, Progress, int> execute)
    {
        var outputOption = new Option<string>("--out") { HelpName = output.HelpName, Description = output.Description, Required = true };
        Option<string?> kernel = Kernel();
        Option<bool> progress = ShowProgress();
        var command = new Command(name, description) { source, outputOption, flag, kernel, progress };
        command.SetAction(parsed => execute(parsed.GetRequiredValue(source), parsed.GetRequiredValue(outputOption), parsed.GetValue(flag),
            parsed.GetValue(kernel), Console.Error, Progress.For(parsed.GetValue(progress), Console.Error)));
        return command;
    }

    /// <summary>An option's single value read by <paramref name="read"/>, or an error saying what it needs and what it got.</summary>
    public static T Parse<T>(ArgumentResult result, T fallback, string needs, Func<string, T?> read)
        where T : struct
    {
        if (result.Tokens.Count == 0)
        {
            return fallback; // no value at all: the parser reports the option as needing one
        }

        string text = result.Tokens[^1].Value;
        if (read(text) is T value)
        {
            return value;
        }

        result.AddError($"{needs}, not '{text}'");
        return fallback;
    }

    /// <summary>The value an option's word names, or an error listing the words it takes.</summary>
    public static T Choose<T>(ArgumentResult result, T fallback, params (string Name, T Value)[] choices)
    {
        string option = result.Parent is OptionResult o ? o.Option.Name : "option";
        if (result.Tokens.Count == 0)
        {
            return fallback;
        }

        string word = result.Tokens[^1].Value;
        foreach ((string name, T value) in choices)
        {
            if (name == word)
            {
                return value;
            }
        }

        result.AddError($"{option} needs {string.Join(" or ", choices.Select(c => c.Name))}, not '{word}'");
        return fallback;
    }
}
