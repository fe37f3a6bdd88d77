using Translator.Tests.Shared;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary>
/// The README's "Running a guest" commands, run as written in a fresh clone of HEAD by scripts/readme-commands.sh:
/// each succeeds, and they leave behind only the files they name with --out or --stats.
/// </summary>
public sealed class ReadmeCommandsTests
{
    [Fact]
    public void TheReadmeCommandsRunAsWrittenInAFreshClone()
    {
        string script = Path.Combine(RepositoryRoot.Path, "scripts", "readme-commands.sh");
        ProcessResult run = ProcessRunner.Run("bash", [script], TimeSpan.FromMinutes(20));

        Assert.False(run.TimedOut, "the README's commands did not finish within 20 minutes");
        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Contains("commands ran as written", run.StandardError, StringComparison.Ordinal);
    }
}
