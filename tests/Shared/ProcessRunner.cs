using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading.Tasks;

namespace Translator.Tests.Shared;

public sealed record ProcessResult(int ExitCode, byte[] StandardOutput, string StandardError, bool TimedOut)
{
    public string StandardOutputText => Encoding.UTF8.GetString(StandardOutput);
}

/// <summary>Runs a program with captured output and empty input, and boots images on QEMU, the reference PC.</summary>
public static class ProcessRunner
{
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (KeyValuePair<string, string> variable in environment ?? new Dictionary<string, string>())
        {
            info.Environment[variable.Key] = variable.Value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}");
        process.StandardInput.Close();
        var stdout = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        copy.Wait();
        return new ProcessResult(exited ? process.ExitCode : -1, stdout.ToArray(), stderr.Result, !exited);
    }

    /// <summary>
    /// Boots an image on QEMU (TCG) exactly as DESIGN.md describes the reference machine. The serial port goes to a
    /// file, not to a pipe: QEMU's stdio backend writes without blocking and can lose bytes when the reader falls
    /// behind (a loaded CI machine), while a file backend never drops any. The file becomes standard output.
    /// </summary>
    public static ProcessResult RunQemu(string image, TimeSpan timeout, string? cpuModel = null, string[]? devices = null)
    {
        string serial = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"translator-qemu-{Guid.NewGuid():N}.serial");
        try
        {
            ProcessResult result = Run(
                "qemu-system-i386",
                ["-kernel", image, "-chardev", $"file,id=com1,path={serial}", "-serial", "chardev:com1", "-display", "none",
                 "-monitor", "none", "-no-reboot", "-m", "128", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                 .. (cpuModel is null ? Array.Empty<string>() : ["-cpu", cpuModel]),
                 .. (devices ?? []).SelectMany(d => new[] { "-device", d })],
                timeout);
            byte[] output = File.Exists(serial) ? File.ReadAllBytes(serial) : [];
            return result with { StandardOutput = output };
        }
        finally
        {
            File.Delete(serial);
        }
    }
}

/// <summary>The repository's top folder (the one holding Translator.sln), found from the test assembly's location.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> s_path = new(Find);

    public static string Path => s_path.Value;

    private static string Find()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Translator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Translator.sln) above " + AppContext.BaseDirectory);
    }
}
