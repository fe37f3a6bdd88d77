using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
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

    public static GuestRun Qemu(byte[] image, TimeSpan? timeout = null, string? cpuModel = null)
    {
        string path = Path.Combine(Path.GetTempPath(), $"guest-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, image);
        try
        {
            ProcessResult qemu = ProcessRunner.RunQemu(path, timeout ?? TimeSpan.FromSeconds(60), cpuModel);
            return qemu.TimedOut
                ? new GuestRun("qemu", qemu.StandardOutput, -1, "QEMU timed out")
                : new GuestRun("qemu", qemu.StandardOutput, qemu.ExitCode, qemu.StandardError);
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
