using System.Diagnostics;
using System.Text;

namespace Translator.Fuzz;

/// <summary>
/// QEMU (TCG) as a second opinion on a program: the reference PC of DESIGN.md, booted with <c>-kernel</c> on the
/// same image, COM1 to a file (a file backend never drops bytes under load), isa-debug-exit at 0xF4. QEMU is not the
/// SDM: where it and every backend disagree, the program is examined before either side is called wrong.
/// </summary>
public static class QemuOracle
{
    private static readonly Lazy<bool> s_available = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "qemu-system-i386"))));

    public static bool Available => s_available.Value;

    /// <summary>The program's outcome on QEMU, masked like every backend's; null if QEMU did not finish in time.</summary>
    public static Outcome? Run(FuzzProgram program)
    {
        byte[] image = HarnessImage.Build(program, out uint[] addresses);
        FlagAnalysis.Result flags = FlagAnalysis.Analyse(program.FlatBody(HarnessImage.DumpAddress), HarnessImage.DumpAddress);
        string stem = Path.Combine(Path.GetTempPath(), $"translator-fuzz-{Environment.ProcessId}-{program.Seed}");
        try
        {
            File.WriteAllBytes(stem + ".img", image);
            var start = new ProcessStartInfo("qemu-system-i386")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string argument in new[]
            {
                "-kernel", stem + ".img", "-chardev", $"file,id=com1,path={stem}.serial", "-serial", "chardev:com1",
                "-display", "none", "-monitor", "none", "-no-reboot", "-m", "4", "-accel", "tcg",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            })
            {
                start.ArgumentList.Add(argument);
            }

            using Process qemu = Process.Start(start)!;
            Task<string> drainOut = qemu.StandardOutput.ReadToEndAsync(), drainErr = qemu.StandardError.ReadToEndAsync();
            if (!qemu.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                qemu.Kill(entireProcessTree: true);
                return null;
            }

            Task.WaitAll(drainOut, drainErr);
            string console = File.Exists(stem + ".serial") ? Encoding.Latin1.GetString(File.ReadAllBytes(stem + ".serial")) : "";
            return Outcome.Of(qemu.ExitCode, console, flags, addresses);
        }
        finally
        {
            File.Delete(stem + ".img");
            File.Delete(stem + ".serial");
        }
    }
}
