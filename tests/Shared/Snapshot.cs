using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Xunit;

namespace Translator.Tests.Shared;

/// <summary>
/// Snapshot testing without a framework: output is compared with the committed <c>NAME.verified.EXT</c> beside the
/// tests; a difference writes <c>NAME.received.EXT</c> and fails with a line diff. Setting the environment variable
/// <c>TRANSLATOR_ACCEPT_SNAPSHOTS=1</c> (never in CI) accepts the received output instead.
/// </summary>
public static class Snapshot
{
    public const string AcceptVariable = "TRANSLATOR_ACCEPT_SNAPSHOTS";

    public static void Verify(string name, string actual, string extension, [CallerFilePath] string caller = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(caller)!, "Snapshots");
        string verified = Path.Combine(directory, $"{name}.verified.{extension}");
        string received = Path.Combine(directory, $"{name}.received.{extension}");
        actual = actual.Replace("\r\n", "\n");
        string? expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }

        bool accept = Environment.GetEnvironmentVariable(AcceptVariable) == "1" && Environment.GetEnvironmentVariable("CI") is null;
        if (accept)
        {
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"no snapshot {verified}: inspect {received} and accept it (set {AcceptVariable}=1)"
            : $"snapshot {name} differs (received output in {received}):\n{Diff(expected, actual)}");
    }

    private static string Diff(string expected, string actual)
    {
        DiffPaneModel model = new InlineDiffBuilder(new DiffPlex.Differ()).BuildDiffModel(expected, actual);
        var text = new StringBuilder();
        int shown = 0;
        foreach (DiffPiece line in model.Lines)
        {
            if (line.Type == ChangeType.Unchanged)
            {
                continue;
            }

            text.Append(line.Type == ChangeType.Inserted ? "+ " : "- ").Append(line.Text).Append('\n');
            if (++shown == 60)
            {
                text.Append("...\n");
                break;
            }
        }

        return text.ToString();
    }
}
