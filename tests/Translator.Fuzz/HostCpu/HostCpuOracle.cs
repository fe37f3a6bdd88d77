using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Translator.Fuzz;

/// <summary>
/// The host CPU as an oracle for the mode-neutral part of a program (<see cref="ModeNeutralProgram"/>): that part runs
/// as 64-bit code in a small host process (HostCpu/fuzz-host.c, compiled on first use with the C compiler on PATH)
/// with the guest's low memory mapped where the guest has it, and prints what the guest harness prints. The same
/// part runs on native's interpreter; both outputs are masked alike and compared. This host's kernel runs no 32-bit
/// code at all (a PVM guest), which is why the instructions run in 64-bit mode: with 8/16/32-bit operands and 32-bit
/// addressing the SDM gives them the same results and flags.
/// </summary>
public static class HostCpuOracle
{
    private static readonly Lazy<(HostProcess? Process, string? Why)> s_host = new(Start);
    private static readonly object s_gate = new();

    /// <summary>Why the oracle cannot run on this machine; null when it can.</summary>
    public static string? Unavailable => s_host.Value.Why;

    /// <summary>
    /// The program's mode-neutral part on native's interpreter and on the host CPU; null when there is nothing to
    /// compare (no such part, or it ended in an exception or the budget on the guest, which the host does not model).
    /// </summary>
    public static Verdict? Compare(FuzzProgram program)
    {
        if (ModeNeutralProgram.Filter(program) is not FuzzProgram part)
        {
            return null;
        }

        (string Backend, Outcome Outcome) guest = DifferentialRunner.Run(part, [FuzzBackend.All[0]]).Outcomes[0];
        if (!guest.Outcome.Text.StartsWith('R'))
        {
            return null;
        }

        // "U": the part wrote to memory the guest does not have (its writes vanish there), which the host cannot model.
        Outcome host = RunOnHost(part, guest.Outcome.ExitCode);
        return host.Text.StartsWith('U') ? null : new Verdict(part, [guest, ("host-cpu", host)]);
    }

    /// <summary>Shrinks a program while the host CPU and native's interpreter disagree on its mode-neutral part, and prints it.</summary>
    public static void MinimizeAgainstHost(FuzzProgram program, TextWriter log)
    {
        FuzzProgram start = ModeNeutralProgram.Filter(program) ?? program;
        FuzzProgram small = Minimizer.Minimize(start, candidate => Compare(candidate) is { Agrees: false });
        Verdict? verdict = Compare(small);
        log.WriteLine($"  minimized: {verdict?.Summary() ?? "nothing to compare"}: {verdict?.Difference()}");
        Campaign.Show(small, log);
    }

    private static Outcome RunOnHost(FuzzProgram part, int exitCode)
    {
        byte[] image = HarnessImage.Build(part, out uint[] addresses);
        FlagAnalysis.Result flags = FlagAnalysis.Analyse(part.FlatBody(HarnessImage.DumpAddress), HarnessImage.DumpAddress);
        byte[] code = ModeNeutralProgram.Encode64(part);
        var request = new byte[44 + code.Length + image.Length + part.Data.Length];
        Span<byte> header = request;
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)code.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)image.Length);
        for (int r = 0; r < 8; r++)
        {
            uint value = r == 4 ? GuestLayout.ProgramStackTop : part.Registers[r];
            BinaryPrimitives.WriteUInt32LittleEndian(header[(8 + 4 * r)..], value);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], part.Flags);
        code.CopyTo(request, 44);
        image.CopyTo(request, 44 + code.Length);
        part.Data.CopyTo(request, 44 + code.Length + image.Length);
        string printed = s_host.Value.Process!.Exchange(request);

        // The image holds the data's initial copy, not the data pages themselves (the harness copies them at start).
        return Outcome.Of(exitCode, printed, flags, addresses);
    }

    private static (HostProcess?, string?) Start()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return (null, $"needs an x86-64 Linux host (this is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})");
        }

        string? compiler = new[] { "cc", "gcc", "clang" }.FirstOrDefault(c =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, c))));
        if (compiler is null)
        {
            return (null, "no C compiler (cc, gcc or clang) on PATH to build HostCpu/fuzz-host.c");
        }

        string source = Path.Combine(AppContext.BaseDirectory, "HostCpu", "fuzz-host.c");
        string binary = Path.Combine(Path.GetTempPath(), $"translator-fuzz-host-{Environment.ProcessId}");
        var build = new ProcessStartInfo(compiler) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in new[] { "-O2", "-fPIE", "-pie", "-o", binary, source }) // PIE: nothing of the process's own below 4 GiB
        {
            build.ArgumentList.Add(argument);
        }

        using (Process cc = Process.Start(build)!)
        {
            string errors = cc.StandardError.ReadToEnd() + cc.StandardOutput.ReadToEnd();
            cc.WaitForExit();
            if (cc.ExitCode != 0)
            {
                return (null, $"{compiler} could not build {source}: {errors.Trim()}");
            }
        }

        var process = new HostProcess(binary);
        string first = process.ReadLine();
        File.Delete(binary); // the running process keeps its file; nothing left behind in /tmp
        return first == "ready" ? (process, null) : (null, $"the host process did not start: {first}");
    }

    /// <summary>The running fuzz-host process: one request at a time (its answer is one "R" and one "M" line, or one line on a signal).</summary>
    private sealed class HostProcess
    {
        private readonly Process _process;

        public HostProcess(string binary)
        {
            _process = Process.Start(new ProcessStartInfo(binary)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
            })!;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try
                {
                    _process.Kill();
                }
                catch (InvalidOperationException)
                {
                    // already gone
                }
            };
        }

        public string ReadLine() => _process.StandardOutput.ReadLine() ?? "(no output: the host process ended)";

        public string Exchange(byte[] request)
        {
            lock (s_gate)
            {
                Stream input = _process.StandardInput.BaseStream;
                input.Write(request);
                input.Flush();
                string first = ReadLine();
                return first.StartsWith('R') ? first + "\n" + ReadLine() + "\n" : first + "\n";
            }
        }
    }
}
