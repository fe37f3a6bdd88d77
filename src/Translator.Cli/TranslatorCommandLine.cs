using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Translator.Cli;

/// <summary>
/// The <c>translator</c> command on System.CommandLine: its commands, help with examples, <c>--version</c>, shell
/// completion (the <c>[suggest]</c> directive dotnet-suggest calls) and DESIGN.md's contract for bad usage: one line on
/// stderr naming the option or word at fault (with the nearest spelling when there is one) and exit code 2.
/// </summary>
internal static class TranslatorCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "Runs and measures the three classic techniques of x86 virtualization on one VMM: hardware-assisted (hw), "
            + "binary translation (bt), paravirtualization (pv), trap-and-emulate (trap), and bare metal (native).\n"
            + "Exit codes: odd = the guest's (isa-debug-exit value V gives (V << 1) | 1); 0 the guest halted, 2 bad input, "
            + "4 the guest crashed, 6 the instruction budget ran out, 8 run --snapshot saved the VM.")
        {
            RunCommand.Create(),
            ResumeCommand.Create(),
            CompareCommand.Create(),
            ImageCommand.Create(),
            TranslateCommand.Create(),
            HostCommand.Create(),
            TranslationWorkerCommand.Create(),
        };
        root.SetAction(parsed =>
        {
            // No command: the help, on stderr (stdout is the guest's), and the exit code of bad usage.
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = Console.Error });
            return ExitCodes.BadInput;
        });

        var examples = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            ["translator"] = ["translator run Hello", "translator compare Microbench", "translator run --help"],
            ["run"] = RunCommand.Examples,
            ["resume"] = ResumeCommand.Examples,
            ["compare"] = CompareCommand.Examples,
            ["image"] = ImageCommand.Examples,
            ["translate"] = TranslateCommand.Examples,
            ["host"] = HostCommand.Examples,
        };
        HelpOption help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExamples(help.Action!, examples);
        return root;
    }

    /// <summary>Parses and runs a command line; the process's exit code.</summary>
    public static int Invoke(string[] args, TextWriter stderr)
    {
        if (args is ["help", .. var rest])
        {
            args = [.. rest, "--help"]; // `translator help [COMMAND]`, as the tool has always taken it
        }

        RootCommand root = Create();
        Translator.Vmm.Backends.Bt.TranslationWorker.Command ??= TranslationWorkerCommand.SelfCommand(); // tiered runs compile in a child
        ParseResult parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }); // '@' is a file name's, not a response file's
        if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            stderr.WriteLine($"translator: {Describe(parsed)}");
            return ExitCodes.BadInput;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Every failure of the tool itself ends with a message and one defined even code, never .NET's crash code.
            stderr.WriteLine($"translator: internal error (please report it): {e.GetType().Name}: {e.Message}");
            stderr.WriteLine(e.StackTrace);
            return ExitCodes.InternalError;
        }
    }

    /// <summary>The first thing wrong with a command line, in one sentence that names it.</summary>
    public static string Describe(ParseResult parsed)
    {
        Command command = parsed.CommandResult.Command;
        if (parsed.UnmatchedTokens.Count > 0)
        {
            string token = parsed.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                IEnumerable<string> options = command.Options.Concat(parsed.RootCommandResult.Command.Options.Where(o => o.Recursive))
                    .SelectMany(o => o.Aliases.Prepend(o.Name));
                return $"unknown option '{token}'{Spelling.Suggest(token, options)}";
            }

            return command is RootCommand
                ? $"unknown command '{token}'{Spelling.Suggest(token, command.Subcommands.Select(c => c.Name))}"
                : $"unexpected argument '{token}'";
        }

        foreach (Argument argument in command.Arguments)
        {
            if (parsed.GetResult(argument) is not { Tokens.Count: > 0 })
            {
                return $"{command.Name}: missing {argument.HelpName ?? argument.Name}";
            }
        }

        foreach (Option option in command.Options)
        {
            if (option.Required && parsed.GetResult(option) is not { IdentifierTokenCount: > 0 })
            {
                return $"{command.Name}: missing {option.Name} {option.HelpName}".TrimEnd();
            }
        }

        ParseError error = parsed.Errors[0];
        return error.SymbolResult switch
        {
            OptionResult { Tokens.Count: 0, IdentifierToken: { } name } when error.Message.Contains("argument missing", StringComparison.OrdinalIgnoreCase)
                => $"option {name.Value} needs a value",
            _ => error.Message,
        };
    }
}

/// <summary>System.CommandLine's help, then the command's examples (its help builder has no section for them).</summary>
internal sealed class HelpWithExamples(CommandLineAction help, IReadOnlyDictionary<string, string[]> examples) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        int exitCode = help is SynchronousCommandLineAction synchronous ? synchronous.Invoke(parseResult) : 0;
        TextWriter output = parseResult.InvocationConfiguration.Output;
        Command command = parseResult.CommandResult.Command;
        if (examples.TryGetValue(command is RootCommand ? "translator" : command.Name, out string[]? lines))
        {
            output.WriteLine("Examples:");
            foreach (string line in lines)
            {
                output.WriteLine($"  {line}");
            }

            output.WriteLine();
        }

        return exitCode;
    }
}
