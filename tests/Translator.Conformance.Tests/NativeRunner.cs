using Translator.Machine;

namespace Translator.Conformance.Tests;

/// <summary>Runs an image on the emulated PC in-process, as <c>translator run IMAGE --backend native</c> does.</summary>
public static class NativeRunner
{
    public sealed record Outcome(byte[] Console, int ExitCode, MachineResult Result, ulong Instructions);

    /// <summary>The interpreter's execution tiers: decoded blocks only, or every block compiled before it runs.</summary>
    public enum Tier
    {
        Default,
        InterpretOnly,
        CompileAll,
    }

    public static Outcome Run(string imagePath, Tier tier = Tier.Default, ulong maxInstructions = 2_000_000_000)
    {
        var console = new MemoryStream();
        var options = new MachineOptions
        {
            MaxInstructions = maxInstructions,
            CompileThreshold = tier switch
            {
                Tier.InterpretOnly => 0,
                Tier.CompileAll => 1,
                _ => new MachineOptions().CompileThreshold,
            },
        };
        var machine = new PcMachine(options, console.WriteByte);
        machine.Load(File.ReadAllBytes(imagePath));
        MachineResult result = machine.Run();
        return new Outcome(console.ToArray(), result.ExitCode, result, machine.Cpu.Retired);
    }
}
