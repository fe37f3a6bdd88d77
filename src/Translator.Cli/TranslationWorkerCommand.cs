using System.CommandLine;
using Translator.Machine.Loader;
using Translator.Vmm;
using Translator.Vmm.Backends.Bt;

namespace Translator.Cli;

/// <summary>
/// The hidden command a tiered run starts as its compile process (<see cref="TranslationWorker"/>): the image on stdin,
/// the cache directory as its argument; it stores the translation there and prints where the time went. Not for users.
/// </summary>
internal static class TranslationWorkerCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("CACHE-DIRECTORY");
        var command = new Command(TranslationWorker.CommandName, "internal: compiles a tiered run's translation into the cache (image on stdin)")
        {
            directory,
        };
        command.Hidden = true;
        command.SetAction(parsed =>
        {
            using var image = new MemoryStream();
            Console.OpenStandardInput().CopyTo(image);
            try
            {
                TranslationWorker.CompileInto(image.ToArray(), parsed.GetRequiredValue(directory), Console.Out);
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
