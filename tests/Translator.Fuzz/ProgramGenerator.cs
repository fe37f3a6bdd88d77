using Iced.Intel;

namespace Translator.Fuzz;

/// <summary>Builds a <see cref="FuzzProgram"/> from a seed: the same seed gives the same program, byte for byte.</summary>
public static class ProgramGenerator
{
    public static FuzzProgram Generate(ulong seed)
    {
        var random = new SeededRandom(seed);
        var options = new FuzzOptions(Paging: random.Chance(30), Faults: random.Chance(30), System: false);
        var registers = new uint[8];
        for (int i = 0; i < 8; i++)
        {
            registers[i] = random.Interesting();
        }

        uint flags = (random.Next32() & 0x8D5) | 0x2 | (random.Chance(20) ? 0x400u : 0);
        var data = new byte[GuestLayout.DataEnd - GuestLayout.DataStart];
        for (int i = 0; i < data.Length; i += 4)
        {
            BitConverter.TryWriteBytes(data.AsSpan(i), random.Interesting());
        }

        var units = new UnitFactory(random, options);
        int count = 8 + random.Below(40);
        var list = new List<FuzzUnit>();
        for (int id = 0; id < count; id++)
        {
            list.Add(units.Next(id));
        }

        var program = new FuzzProgram(seed, options, registers, flags, data, list);
        DefineFlagsBeforeReaders(program, random);
        return program;
    }

    /// <summary>Where a flag reader would see an undefined flag, a CMP that defines all six goes right before it.</summary>
    private static void DefineFlagsBeforeReaders(FuzzProgram program, SeededRandom random)
    {
        for (int round = 0; round < 1000; round++)
        {
            List<Instruction> body = program.FlatBody(HarnessImage.DumpAddress);
            int invalid = FlagAnalysis.Analyse(body, HarnessImage.DumpAddress).FirstInvalidRead;
            if (invalid < 0)
            {
                return;
            }

            (int position, int index) = Locate(program, invalid);
            Register register = random.Pick(new[] { Register.EAX, Register.EBX, Register.ESI, Register.EDX });
            program.Units[position].Insert(index, Instruction.Create(Code.Cmp_rm32_imm32, register, random.Interesting()));
        }

        throw new InvalidOperationException($"seed {program.Seed}: flag definitions did not converge");
    }

    internal static (int Position, int Index) Locate(FuzzProgram program, int flatIndex)
    {
        for (int p = 0; p < program.Units.Count; p++)
        {
            int n = program.Units[p].Instructions.Count;
            if (flatIndex < n)
            {
                return (p, flatIndex);
            }

            flatIndex -= n;
        }

        return (-1, -1);
    }
}
