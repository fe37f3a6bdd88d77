using Translator.Cli;

// stdout carries exactly the guest's COM1 bytes (or the help someone asked for); everything else goes to stderr.
return TranslatorCommandLine.Invoke(args, Console.Error);
