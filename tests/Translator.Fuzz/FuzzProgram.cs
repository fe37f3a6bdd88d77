using Iced.Intel;

namespace Translator.Fuzz;

/// <summary>What a program may contain, chosen per seed.</summary>
public sealed record FuzzOptions(bool Paging, bool Faults, bool System)
{
    public string Describe() => $"{(Paging ? "paging" : "flat")}{(Faults ? "+faults" : "")}{(System ? "+system" : "")}";
}

/// <summary>
/// One step of a program: a few instructions that belong together (the setup of a memory reference's base register
/// and the instruction using it, a loop and its body). Minimization drops whole units, so what is left stays valid.
/// </summary>
public sealed class FuzzUnit
{
    public FuzzUnit(int id, string kind, List<Instruction> instructions)
    {
        Id = id;
        Kind = kind;
        Instructions = instructions;
        Targets = Enumerable.Repeat(NoTarget, instructions.Count).ToList();
    }

    public const int NoTarget = int.MinValue;

    /// <summary>The unit's place in the program as generated (branch targets name units by it).</summary>
    public int Id { get; }

    public string Kind { get; }

    public List<Instruction> Instructions { get; }

    /// <summary>Per instruction: the unit id a forward branch goes to, -1 - k for instruction k of this unit (a loop), or <see cref="NoTarget"/>.</summary>
    public List<int> Targets { get; }

    /// <summary>The trap backend shows this unit something bare metal does not (Popek-Goldberg holes: selectors' RPL, the VMM's tables).</summary>
    public bool TrapVisible { get; init; }

    /// <summary>The result depends on the CPU model (CPUID, control register bits), so QEMU's CPU may differ from ours.</summary>
    public bool ModelSpecific { get; init; }

    public void Insert(int index, Instruction instruction)
    {
        Instructions.Insert(index, instruction);
        Targets.Insert(index, NoTarget);
        for (int i = 0; i < Targets.Count; i++)
        {
            if (Targets[i] != NoTarget && Targets[i] < 0 && -1 - Targets[i] >= index && i != index)
            {
                Targets[i]--; // a loop back past the insertion point moves down with it
            }
        }
    }
}

/// <summary>A generated program: the harness's initial state plus the units of its body. The seed rebuilds it exactly.</summary>
public sealed class FuzzProgram
{
    public FuzzProgram(ulong seed, FuzzOptions options, uint[] registers, uint flags, byte[] data, IReadOnlyList<FuzzUnit> units)
    {
        Seed = seed;
        Options = options;
        Registers = registers;
        Flags = flags;
        Data = data;
        Units = units;
    }

    public ulong Seed { get; }

    public FuzzOptions Options { get; }

    /// <summary>EAX..EDI as the body starts (ESP's slot is ignored: the harness sets the stack).</summary>
    public uint[] Registers { get; }

    public uint Flags { get; }

    /// <summary>The initial contents of the data pages.</summary>
    public byte[] Data { get; }

    public IReadOnlyList<FuzzUnit> Units { get; }

    public bool TrapVisible => Units.Any(u => u.TrapVisible);

    public bool ModelSpecific => Units.Any(u => u.ModelSpecific);

    public int InstructionCount => Units.Sum(u => u.Instructions.Count);

    /// <summary>The same program without the units at <paramref name="positions"/> (minimization's step).</summary>
    public FuzzProgram Without(IReadOnlySet<int> positions) =>
        new(Seed, Options, Registers, Flags, Data, Units.Where((_, i) => !positions.Contains(i)).ToList());

    /// <summary>The program with only the units whose ids are listed (a regression case's form).</summary>
    public FuzzProgram Keeping(IReadOnlyCollection<int> ids) =>
        new(Seed, Options, Registers, Flags, Data, Units.Where(u => ids.Contains(u.Id)).ToList());

    /// <summary>The body as one flat list, each instruction's IP a label (unit position, index) for Iced's block encoder.</summary>
    public List<Instruction> FlatBody(uint dumpAddress)
    {
        var body = new List<Instruction>();
        for (int p = 0; p < Units.Count; p++)
        {
            FuzzUnit unit = Units[p];
            for (int k = 0; k < unit.Instructions.Count; k++)
            {
                Instruction instruction = unit.Instructions[k];
                instruction.IP = Label(p, k);
                int target = unit.Targets[k];
                if (target != FuzzUnit.NoTarget)
                {
                    ulong address = target < 0 ? Label(p, -1 - target) : ResolveForward(target, dumpAddress);
                    instruction.NearBranch32 = (uint)address;
                }

                body.Add(instruction);
            }
        }

        Instruction end = Instruction.CreateBranch(Code.Jmp_rel32_32, dumpAddress);
        end.IP = Label(Units.Count, 0);
        body.Add(end);
        return body;
    }

    /// <summary>A forward branch goes to the first unit still present at or after its target (or to the dump).</summary>
    private ulong ResolveForward(int targetId, uint dumpAddress)
    {
        for (int p = 0; p < Units.Count; p++)
        {
            if (Units[p].Id >= targetId)
            {
                return Label(p, 0);
            }
        }

        return dumpAddress;
    }

    internal static ulong Label(int position, int index) => 0x8000_0000UL + ((ulong)position << 8) + (ulong)index;
}
