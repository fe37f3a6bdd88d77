using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Translator.Machine;

namespace Translator.Tests.Shared;

/// <summary>What a guest did: its COM1 bytes and the process exit code of DESIGN.md's contract.</summary>
public sealed record GuestRun(string Backend, byte[] Console, int ExitCode, string? Message)
{
    public string Text => System.Text.Encoding.ASCII.GetString(Console);
}

/// <summary>
/// Runs guest images on the in-process <c>native</c> machine or on QEMU, the reference PC.
/// </summary>
public static class GuestRunner
{
    private static readonly Lazy<bool> s_qemu = new(() => Which("qemu-system-i386"));

    public static bool QemuAvailable => s_qemu.Value;

    public static GuestRun Native(byte[] image, ulong maxInstructions = 2_000_000_000)
    {
        var console = new List<byte>();
        var machine = new PcMachine(new MachineOptions { MaxInstructions = maxInstructions }, console.Add);
        machine.Load(image);
        MachineResult result = machine.Run();
        return new GuestRun("native", console.ToArray(), result.ExitCode, result.Message);
    }

    public static GuestRun Qemu(byte[] image, TimeSpan? timeout = null)
    {
        string path = Path.Combine(Path.GetTempPath(), $"guest-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, image);
        try
        {
            var info = new ProcessStartInfo("qemu-system-i386")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string argument in new[]
            {
                "-kernel", path, "-serial", "stdio", "-display", "none", "-monitor", "none", "-no-reboot", "-m", "128",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            })
            {
                info.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(info) ?? throw new InvalidOperationException("cannot start qemu-system-i386");
            process.StandardInput.Close();
            var stdout = new MemoryStream();
            Task copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                copy.Wait();
                return new GuestRun("qemu", stdout.ToArray(), -1, "QEMU timed out");
            }

            copy.Wait();
            return new GuestRun("qemu", stdout.ToArray(), process.ExitCode, stderr.Result);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static bool Which(string program)
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        return path is not null && path.Split(':').Any(dir => File.Exists(Path.Combine(dir, program)));
    }
}
