using Translator.Machine;
using Translator.Machine.Translation;

namespace Translator.Translation.Tests;

/// <summary>What a guest did on the machine: console bytes, exit code, retired instructions, and how many ran translated.</summary>
public sealed record MachineRun(string Console, int ExitCode, ulong Retired, long Translated, string? Message, IReadOnlyCollection<uint> Untranslated, string State)
{
    public static MachineRun Native(byte[] image, ulong budget = 4_000_000_000) => Run(image, null, budget);

    public static MachineRun WithTranslation(byte[] image, TranslatedImage translation, ulong budget = 4_000_000_000) => Run(image, translation, budget);

    private static MachineRun Run(byte[] image, TranslatedImage? translation, ulong budget)
    {
        var console = new List<byte>();
        var machine = new PcMachine(new MachineOptions { MaxInstructions = budget }, console.Add);
        machine.Load(image);
        if (translation is not null)
        {
            machine.UseTranslation(translation);
        }

        MachineResult result = machine.Run();
        var cpu = machine.Cpu;
        string state = string.Join(" ", Enumerable.Range(0, 8).Select(r => cpu.GetRegister(r).ToString("X8")))
            + $" eip={cpu.Eip:X8} eflags={cpu.EFlagsValue:X8} cr2={cpu.Cr2:X8} cpl={cpu.Cpl}";
        return new MachineRun(
            System.Text.Encoding.ASCII.GetString(console.ToArray()), result.ExitCode, machine.Cpu.Retired,
            machine.Cpu.Counters.TranslatedInstructions, result.Message, machine.UntranslatedEntries.ToArray(), state);
    }
}
