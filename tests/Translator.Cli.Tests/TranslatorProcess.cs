using System.Text;
using Translator.Tests.Shared;

namespace Translator.Cli.Tests;

/// <summary>Runs the built <c>translator</c> as a user would, capturing stdout bytes, stderr and the exit code.</summary>
internal static class TranslatorProcess
{
    public sealed record Result(int ExitCode, byte[] Stdout, string Stderr)
    {
        public string StdoutText => Encoding.UTF8.GetString(Stdout);
    }

    public static Result Run(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "translator.dll");
        ProcessResult run = ProcessRunner.Run("dotnet", [dll, .. args], TimeSpan.FromMinutes(5)); // image PROJECT builds the project (and its translation) on a 2-core CI machine
        if (run.TimedOut)
        {
            throw new TimeoutException("translator did not finish within 5 minutes: " + string.Join(' ', args));
        }

        return new Result(run.ExitCode, run.StandardOutput, run.StandardError);
    }

    public static string WriteTemp(byte[] bytes, string extension = ".bin")
    {
        string path = Path.Combine(Path.GetTempPath(), $"translator-test-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
