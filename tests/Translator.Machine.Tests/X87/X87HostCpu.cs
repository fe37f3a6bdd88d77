using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace Translator.Machine.Tests.X87;

/// <summary>Skips a test where the host cannot run x87-host.c (not x86-64 Linux, or no C compiler).</summary>
public sealed class X87HostFactAttribute : FactAttribute
{
    public X87HostFactAttribute()
    {
        if (X87HostCpu.Unavailable is string why)
        {
            Skip = $"the host CPU cannot be asked here: {why}";
        }
    }
}

/// <summary>A theory skipped where the host cannot run x87-host.c.</summary>
public sealed class X87HostTheoryAttribute : TheoryAttribute
{
    public X87HostTheoryAttribute()
    {
        if (X87HostCpu.Unavailable is string why)
        {
            Skip = $"the host CPU cannot be asked here: {why}";
        }
    }
}

/// <summary>
/// The host processor's x87/MMX unit, through x87-host.c: each case is an instruction's bytes and a 192-byte context
/// (see the C file), and the host returns the context after running them.
/// </summary>
internal static class X87HostCpu
{
    private static readonly Lazy<(string? Binary, string? Why)> s_binary = new(() => Build("X87", "x87-host.c"));

    public static string? Unavailable => s_binary.Value.Why;

    /// <summary>Compiles a host program copied beside the tests (<paramref name="folder"/>/<paramref name="file"/>), or says why not.</summary>
    internal static (string?, string?) Build(string folder, string file)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return (null, $"needs an x86-64 Linux host (this is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})");
        }

        string? compiler = new[] { "cc", "gcc", "clang" }.FirstOrDefault(c =>
            Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, c))));
        if (compiler is null)
        {
            return (null, $"no C compiler (cc, gcc or clang) on PATH to build {folder}/{file}");
        }

        string source = Path.Combine(AppContext.BaseDirectory, folder, file);
        string binary = Path.Combine(Path.GetTempPath(), $"translator-{Path.GetFileNameWithoutExtension(file)}-{Environment.ProcessId}");
        var build = new ProcessStartInfo(compiler) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { "-O1", "-o", binary, source })
        {
            build.ArgumentList.Add(arg);
        }

        using Process cc = Process.Start(build)!;
        string errors = cc.StandardError.ReadToEnd() + cc.StandardOutput.ReadToEnd();
        cc.WaitForExit();
        return cc.ExitCode == 0 ? (binary, null) : (null, $"{compiler} failed: {errors}");
    }

    /// <summary>Runs every case in one host process and returns the contexts in order.</summary>
    public static List<byte[]> Run(IReadOnlyList<(byte[] Code, byte[] Context)> cases) => Run(s_binary.Value.Binary!, cases);

    /// <summary>Runs every case through <paramref name="binary"/>: one "code context" line in, one context line out.</summary>
    internal static List<byte[]> Run(string binary, IReadOnlyList<(byte[] Code, byte[] Context)> cases)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardInput = true, RedirectStandardOutput = true };
        using Process host = Process.Start(start)!;
        var writer = Task.Run(() =>
        {
            foreach ((byte[] code, byte[] context) in cases)
            {
                host.StandardInput.Write(code.Length == 0 ? "-" : Convert.ToHexString(code));
                host.StandardInput.Write(' ');
                host.StandardInput.WriteLine(Convert.ToHexString(context));
            }

            host.StandardInput.Close();
        });
        var results = new List<byte[]>(cases.Count);
        while (host.StandardOutput.ReadLine() is string line)
        {
            Assert.False(line == "fault", $"the host faulted on case {results.Count}: {Convert.ToHexString(cases[results.Count].Code)}");
            results.Add(Convert.FromHexString(line));
        }

        writer.Wait();
        host.WaitForExit();
        Assert.Equal(cases.Count, results.Count);
        return results;
    }
}
