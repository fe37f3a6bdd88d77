using System.CommandLine;
using Translator.Machine.Loader;
using Translator.Vmm;
using Translator.Vmm.Backends.Bt;

namespace Translator.Cli;

/// <summary>
/// The hidden command a tiered run starts as its compile process (<see cref="TranslationWorker"/>): the image on stdin,
/// the cache directory and the group's hot addresses as its arguments; it stores the group there and prints where the
/// time went. Not for users.
/// </summary>
internal static class TranslationWorkerCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("CACHE-DIRECTORY");
        var group = new Option<string>("--group") { Description = "the hex addresses (comma-separated) whose methods make the group" };
        var serve = new Option<bool>(TranslationWorker.ServeFlag) { Description = "kept for the run: the image's length on a line, its bytes, then one line of addresses per group" };
        var idle = new Option<double>("--idle-seconds") { Description = "with --serve: end after this long without a group", DefaultValueFactory = _ => 60 };
        var command = new Command(TranslationWorker.CommandName, "internal: compiles a tiered run's group of hot code into the cache (image on stdin)")
        {
            directory,
            group,
            serve,
            idle,
        };
        command.Hidden = true;
        command.SetAction(parsed =>
        {
            try
            {
                if (parsed.GetValue(serve))
                {
                    double seconds = parsed.GetValue(idle);
                    TranslationWorker.Serve(Console.OpenStandardInput(), parsed.GetRequiredValue(directory),
                        TimeSpan.FromSeconds(double.IsFinite(seconds) && seconds > 0 ? Math.Min(seconds, 86_400) : 60), Console.Out);
                    return 0;
                }

                if (parsed.GetValue(group) is not { } addresses)
                {
                    Console.Error.WriteLine($"translator: {TranslationWorker.CommandName} needs --group ADDRESSES or {TranslationWorker.ServeFlag}");
                    return ExitCodes.BadInput;
                }

                if (TranslationWorker.ParseAddresses(addresses) is not { } hot)
                {
                    Console.Error.WriteLine($"translator: --group: '{addresses}' is not a list of hexadecimal addresses");
                    return ExitCodes.BadInput;
                }

                using var image = new MemoryStream();
                Console.OpenStandardInput().CopyTo(image);
                TranslationWorker.CompileGroupInto(image.ToArray(), parsed.GetRequiredValue(directory), hot, Console.Out);
                return 0;
            }
            catch (InvalidImageException e)
            {
                Console.Error.WriteLine($"translator: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        return command;
    }

    /// <summary>How this process starts itself: the apphost, or <c>dotnet</c> and the entry assembly.</summary>
    public static IReadOnlyList<string>? SelfCommand()
    {
        string? program = Environment.ProcessPath;
        if (program is null)
        {
            return null;
        }

        string? entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        bool viaDotnet = Path.GetFileNameWithoutExtension(program).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        return viaDotnet ? (string.IsNullOrEmpty(entry) ? null : [program, entry]) : [program];
    }
}
