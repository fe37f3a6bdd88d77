using Translator.Machine;

namespace Translator.Conformance.Tests;

/// <summary>Runs an image on the emulated PC in-process, as <c>translator run IMAGE --backend native</c> does.</summary>
public static class NativeRunner
{
    public sealed record Outcome(byte[] Console, int ExitCode, MachineResult Result, ulong Instructions);

    public static Outcome Run(string imagePath, ulong maxInstructions = 2_000_000_000)
    {
        var console = new MemoryStream();
        var machine = new PcMachine(new MachineOptions { MaxInstructions = maxInstructions }, console.WriteByte);
        machine.Load(File.ReadAllBytes(imagePath));
        MachineResult result = machine.Run();
        return new Outcome(console.ToArray(), result.ExitCode, result, machine.Cpu.Retired);
    }
}
