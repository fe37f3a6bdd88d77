using Translator.Cli;

// stdout carries exactly the guest's COM1 bytes; everything the tool says goes to stderr.
try
{
    if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
    {
        Console.Error.WriteLine(CommandLine.Usage);
        return args.Length == 0 ? ExitCodes.BadInput : 0;
    }

    switch (args[0])
    {
        case "run":
            RunArguments run = CommandLine.ParseRun(args[1..]);
            using (Stream stdout = Console.OpenStandardOutput())
            {
                return RunCommand.Execute(run, stdout, Console.Error);
            }

        case "compare":
            RunArguments compare = CommandLine.ParseRun(args[1..]);
            return CompareCommand.Execute(compare.Image, compare.MaxInstructions, Console.Out, Console.Error);

        case "image":
            (string source, string output, bool paravirtual) = CommandLine.ParseImage(args[1..]);
            return ImageCommand.Execute(source, output, paravirtual, Console.Error);

        case "translate":
            (string image, string directory, bool compile) = CommandLine.ParseTranslate(args[1..]);
            return TranslateCommand.Execute(image, directory, compile, Console.Error);

        default:
            throw new UsageException($"unknown command '{args[0]}'");
    }
}
catch (UsageException e)
{
    Console.Error.WriteLine($"translator: {e.Message} ({CommandLine.Usage})");
    return ExitCodes.BadInput;
}
