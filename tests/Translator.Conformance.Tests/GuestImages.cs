using System.Diagnostics;
using System.Text;

namespace Translator.Conformance.Tests;

/// <summary>
/// Builds the conformance guests (tests/guests: gcc -m32 C programs, nasm system tests, the host-CPU oracle) once
/// per test run with make, into tests/guests/build. The toolchain is a prerequisite the README's test command installs.
/// </summary>
public sealed class GuestImages
{
    private static readonly Lazy<GuestImages> s_instance = new(() => new GuestImages());

    private GuestImages()
    {
        RepositoryRoot = FindRepositoryRoot();
        BuildDirectory = Path.Combine(RepositoryRoot, "tests", "guests", "build");
        ProcessResult make = Tools.Run("make", ["-s", "-C", Path.Combine(RepositoryRoot, "tests", "guests"), $"BUILD={BuildDirectory}"], TimeSpan.FromMinutes(5));
        if (make.ExitCode != 0)
        {
            throw new InvalidOperationException($"building the guest images failed (exit {make.ExitCode}):\n{make.StandardError}{make.StandardOutputText}");
        }
    }

    public static GuestImages Instance => s_instance.Value;

    public string RepositoryRoot { get; }

    public string BuildDirectory { get; }

    public string PathOf(string image)
    {
        string path = Path.Combine(BuildDirectory, image);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"guest image {image} was not built; see tests/guests/Makefile", path);
        }

        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Translator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Translator.sln) above " + AppContext.BaseDirectory);
    }
}

public sealed record ProcessResult(int ExitCode, byte[] StandardOutput, string StandardError, bool TimedOut)
{
    public string StandardOutputText => Encoding.UTF8.GetString(StandardOutput);
}

public static class Tools
{
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
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

    /// <summary>Boots an image on QEMU (TCG) exactly as DESIGN.md describes the reference machine.</summary>
    public static ProcessResult RunQemu(string image, TimeSpan timeout) => Run(
        "qemu-system-i386",
        ["-kernel", image, "-serial", "stdio", "-display", "none", "-monitor", "none", "-no-reboot", "-m", "128",
         "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
        timeout);
}
