using Translator.Tests.Shared;
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
        RepositoryRoot = Translator.Tests.Shared.RepositoryRoot.Path;
        BuildDirectory = Path.Combine(RepositoryRoot, "tests", "guests", "build");
        ProcessResult make = ProcessRunner.Run("make", ["-s", "-C", Path.Combine(RepositoryRoot, "tests", "guests"), $"BUILD={BuildDirectory}"], TimeSpan.FromMinutes(5));
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
}
