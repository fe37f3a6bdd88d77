using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace Translator.Machine.Tests.Instructions;

/// <summary>
/// A host-CPU oracle written in C with inline assembly, compiled at test time with <c>cc</c>: it reads fixed-size
/// input records on stdin and writes fixed-size output records on stdout, one per case.
/// </summary>
internal static class HostCProgram
{
    /// <summary>The program's path, or null off x86-64 Linux or without a C compiler that builds it.</summary>
    public static string? Build(string name, string source)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }

        string directory = Directory.CreateTempSubdirectory(name + "-").FullName;
        string program = Path.Combine(directory, name), file = program + ".c";
        File.WriteAllText(file, source);
        try
        {
            using Process? cc = Process.Start(new ProcessStartInfo("cc", ["-O1", "-o", program, file]) { RedirectStandardError = true });
            cc!.StandardError.ReadToEnd();
            cc.WaitForExit();
            return cc.ExitCode == 0 ? program : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Feeds every input record to the program and returns its output, checked to be one record per input.</summary>
    public static byte[] Run(string program, IEnumerable<byte[]> inputs, int outputSize)
    {
        var input = new MemoryStream();
        int count = 0;
        foreach (byte[] record in inputs)
        {
            input.Write(record);
            count++;
        }

        using Process process = Process.Start(new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        var output = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        process.StandardInput.BaseStream.Write(input.GetBuffer(), 0, (int)input.Length);
        process.StandardInput.Close();
        copy.Wait();
        process.WaitForExit();
        Assert.Equal(count * outputSize, (int)output.Length);
        return output.ToArray();
    }
}
