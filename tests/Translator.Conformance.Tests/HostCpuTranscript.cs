using System.ComponentModel;
using System.Text;
using Translator.Tests.Shared;

namespace Translator.Conformance.Tests;

/// <summary>
/// What the host CPU prints for oracle.c. The i386 build runs every case; a host whose kernel runs no 32-bit
/// programs (no IA32 emulation, or a PVM guest like the CI machine: exec fails with ENOEXEC) runs the x86-64 build,
/// which executes every instruction with a 64-bit-mode form and names each section it leaves out. A guest transcript
/// then matches when every section the host ran is identical and every section it left out is one the guest has.
/// </summary>
public sealed class HostCpuTranscript
{
    private const string LeftOutPrefix = "not in 64-bit mode: ";
    private static readonly Lazy<HostCpuTranscript> s_instance = new(Run);

    private HostCpuTranscript(string build, byte[] output)
    {
        Build = build;
        Output = output;
    }

    public static HostCpuTranscript Instance => s_instance.Value;

    /// <summary>"oracle-host" (complete) or "oracle-host64" (the sections with a 64-bit-mode form).</summary>
    public string Build { get; }

    public byte[] Output { get; }

    public bool IsComplete => Build == "oracle-host";

    private static HostCpuTranscript Run()
    {
        try
        {
            return FromProcess("oracle-host");
        }
        catch (Win32Exception e) when (e.NativeErrorCode == 8) // ENOEXEC: the kernel cannot run i386 programs
        {
            return FromProcess("oracle-host64");
        }
    }

    private static HostCpuTranscript FromProcess(string build)
    {
        ProcessResult host = ProcessRunner.Run(GuestImages.Instance.PathOf(build), [], TimeSpan.FromMinutes(2));
        if (host.ExitCode != 0 || host.StandardOutput.Length < 10_000)
        {
            throw new InvalidOperationException(
                $"{build} exited with {host.ExitCode} after {host.StandardOutput.Length} bytes of output: {host.StandardError}");
        }

        return new HostCpuTranscript(build, host.StandardOutput);
    }

    /// <summary>Null when <paramref name="guest"/> matches the host CPU, else what differs.</summary>
    public string? Mismatch(string guestName, byte[] guest)
    {
        if (IsComplete)
        {
            return Output.AsSpan().SequenceEqual(guest) ? null : OutputDiff.Describe(Build, Output, guestName, guest);
        }

        Dictionary<string, string> guestSections = Sections(guest);
        var problems = new List<string>();
        int compared = 0;
        foreach ((string title, string body) in Sections(Output))
        {
            if (title.StartsWith(LeftOutPrefix, StringComparison.Ordinal))
            {
                if (!guestSections.ContainsKey(title[LeftOutPrefix.Length..]))
                {
                    problems.Add($"the host left out a section the guest does not print: {title}");
                }
            }
            else if (!guestSections.TryGetValue(title, out string? guestBody))
            {
                problems.Add($"the guest does not print section '{title}'");
            }
            else if (guestBody != body)
            {
                problems.Add($"section '{title}' differs:\n" + OutputDiff.Describe(
                    Build, Encoding.UTF8.GetBytes(body), guestName, Encoding.UTF8.GetBytes(guestBody)));
            }
            else
            {
                compared++;
            }
        }

        return problems.Count == 0 && compared > 0 ? null : string.Join("\n", problems.Prepend($"{compared} sections identical"));
    }

    /// <summary>Sections keyed by their "# " title; the closing "# done: N cases" differs between builds and is left out.</summary>
    private static Dictionary<string, string> Sections(byte[] transcript)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        string? title = null;
        var body = new StringBuilder();
        foreach (string line in Encoding.UTF8.GetString(transcript).Split('\n'))
        {
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                Close();
                title = line[2..];
            }
            else
            {
                body.Append(line).Append('\n');
            }
        }

        Close();
        return sections;

        void Close()
        {
            if (title is not null && !title.StartsWith("done:", StringComparison.Ordinal))
            {
                sections[title] = body.ToString();
            }

            body.Clear();
        }
    }
}
