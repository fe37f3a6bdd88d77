using System;
using System.Collections.Generic;
using System.IO;
using Iced.Intel;

namespace Translator.KernelCompiler.CodeGen;

/// <summary>
/// The places guest data lives: initialised data (in the image file), zeroed data (bss, after it), and in the PV
/// image the hypercall page after the bss (page-aligned, filled by the VMM at load time).
/// </summary>
internal enum Segment : byte
{
    Data,
    Bss,
    HypercallPage,
}

/// <summary>An address in a data segment, whose base is only known once the code has been encoded.</summary>
internal readonly record struct DataAddress(Segment Segment, uint Offset);

/// <summary>
/// The instructions of a whole image, built with Iced's <see cref="Assembler"/> as an instruction factory, plus what
/// Iced's assembler lacks for a linker: several labels on one instruction, and relocations of data addresses and code
/// addresses used as values. The code is encoded at its final address in two passes (the first fixes the size,
/// which does not depend on the relocated values since they are always 32-bit fields).
/// </summary>
internal sealed class CodeBuffer
{
    private const uint DataPlaceholder = 0x4000_0000;
    private const uint BssPlaceholder = 0x6000_0000;
    private const uint HypercallPagePlaceholder = 0x6F00_0000;
    private const uint CodePlaceholder = 0x7000_0000;

    private readonly Dictionary<ulong, int> _boundLabels = new();
    private readonly List<Relocation> _relocations = new();

    public Assembler A { get; } = new(32);

    public int InstructionCount => A.Instructions.Count;

    public Label NewLabel() => A.CreateLabel();

    /// <summary>Binds <paramref name="label"/> to the next instruction emitted (any number of labels may share one).</summary>
    public void Bind(Label label) => _boundLabels[label.Id] = A.Instructions.Count;

    public bool IsBound(Label label) => _boundLabels.ContainsKey(label.Id);

    /// <summary>The placeholder to put in an instruction for <paramref name="address"/>; call <see cref="RelocateLast"/> after.</summary>
    public static uint Placeholder(DataAddress address) => address.Segment switch
    {
        Segment.Data => DataPlaceholder,
        Segment.Bss => BssPlaceholder,
        _ => HypercallPagePlaceholder,
    } + address.Offset;

    /// <summary>Records that the last instruction's immediate or displacement holds <paramref name="address"/>'s placeholder.</summary>
    public void RelocateLast(DataAddress address, bool displacement)
        => _relocations.Add(new Relocation(A.Instructions.Count - 1, displacement, address, 0));

    public void MovAddress(AssemblerRegister32 register, DataAddress address)
    {
        A.mov(register, Placeholder(address));
        RelocateLast(address, displacement: false);
    }

    /// <summary><c>mov register, imm32</c> where the immediate is the address of the code at <paramref name="label"/>.</summary>
    public void MovCodeAddress(AssemblerRegister32 register, Label label)
    {
        A.mov(register, CodePlaceholder);
        _relocations.Add(new Relocation(A.Instructions.Count - 1, false, default, label.Id));
    }

    /// <summary>
    /// <c>call</c> to an address in a data segment (the hypercall page's stubs): a near branch whose target is
    /// relocated like a data address. The first pass aims it far away, so it is encoded rel32 both times.
    /// </summary>
    public void CallData(DataAddress target)
    {
        A.call(FarPlaceholder);
        _relocations.Add(new Relocation(A.Instructions.Count - 1, false, target, 0, Branch: true));
    }

    /// <summary><c>jmp</c> to an address in a data segment; see <see cref="CallData"/> (its target is always pages away).</summary>
    public void JumpData(DataAddress target)
    {
        A.jmp(FarPlaceholder);
        _relocations.Add(new Relocation(A.Instructions.Count - 1, false, target, 0, Branch: true));
    }

    private const uint FarPlaceholder = 0x7F00_0000;

    private Instruction[]? _instructions;
    private EncodedCode? _first;

    /// <summary>The first encoding pass at <paramref name="codeBase"/>: the code's size, which no relocated value changes.</summary>
    public uint Measure(uint codeBase)
    {
        _instructions = PrepareInstructions();
        _first = EncodeOnce(_instructions, codeBase);
        return (uint)_first.Bytes.Length;
    }

    /// <summary>The second pass, once the data segments are placed: every relocation filled in.</summary>
    public EncodedCode Place(uint dataBase, uint bssBase, uint hypercallPage)
    {
        Instruction[] instructions = _instructions ?? throw new InvalidOperationException("Measure first");
        EncodedCode first = _first!;
        uint codeBase = first.CodeBase;
        foreach (Relocation relocation in _relocations)
        {
            ref Instruction instruction = ref instructions[relocation.Index];
            uint value = relocation.LabelId != 0
                ? first.LabelAddress(relocation.LabelId)
                : relocation.Address.Segment switch
                {
                    Segment.Data => dataBase,
                    Segment.Bss => bssBase,
                    _ => hypercallPage,
                } + relocation.Address.Offset;
            if (relocation.Branch)
            {
                instruction.NearBranch32 = value;
            }
            else if (relocation.Displacement)
            {
                instruction.MemoryDisplacement32 = value;
            }
            else
            {
                instruction.Immediate32 = value;
            }
        }

        EncodedCode second = EncodeOnce(instructions, codeBase);
        if (second.Bytes.Length != first.Bytes.Length)
        {
            throw new InvalidOperationException("code size changed between the two encoding passes");
        }

        return second with { DataBase = dataBase, BssBase = bssBase, HypercallPageBase = hypercallPage };
    }

    /// <summary>Gives each labelled instruction one IP (the first label's id) and points branches at it.</summary>
    private Instruction[] PrepareInstructions()
    {
        var instructions = new List<Instruction>(A.Instructions);
        var canonical = new Dictionary<ulong, ulong>();
        var byIndex = new Dictionary<int, ulong>();
        foreach (KeyValuePair<ulong, int> bound in _boundLabels)
        {
            if (bound.Value == instructions.Count)
            {
                // A label at the very end still needs an instruction to stand on.
                instructions.Add(Instruction.Create(Code.Int3));
            }

            if (!byIndex.TryGetValue(bound.Value, out ulong first) || bound.Key < first)
            {
                byIndex[bound.Value] = bound.Key;
            }
        }

        foreach (KeyValuePair<ulong, int> bound in _boundLabels)
        {
            canonical[bound.Key] = byIndex[bound.Value];
        }

        Instruction[] result = instructions.ToArray();
        foreach (KeyValuePair<int, ulong> label in byIndex)
        {
            result[label.Key].IP = label.Value;
        }

        var dataBranches = new HashSet<int>();
        foreach (Relocation relocation in _relocations)
        {
            if (relocation.Branch)
            {
                dataBranches.Add(relocation.Index);
            }
        }

        for (int i = 0; i < result.Length; i++)
        {
            if (result[i].Op0Kind == OpKind.NearBranch32 && !dataBranches.Contains(i))
            {
                ulong target = result[i].NearBranch32;
                if (!canonical.TryGetValue(target, out ulong id))
                {
                    throw new InvalidOperationException($"branch to an unbound label {target}");
                }

                result[i].NearBranch32 = (uint)id;
            }
        }

        _labelIndex = new Dictionary<ulong, int>(_boundLabels);
        return result;
    }

    private Dictionary<ulong, int> _labelIndex = new();

    private EncodedCode EncodeOnce(Instruction[] instructions, uint codeBase)
    {
        using var stream = new MemoryStream();
        var block = new InstructionBlock(new StreamCodeWriter(stream), instructions, codeBase);
        if (!BlockEncoder.TryEncode(32, block, out string? error, out BlockEncoderResult result, BlockEncoderOptions.ReturnNewInstructionOffsets))
        {
            throw new InvalidOperationException("encoding failed: " + error);
        }

        return new EncodedCode(stream.ToArray(), codeBase, result.NewInstructionOffsets, _labelIndex, 0, 0, 0);
    }

    private readonly record struct Relocation(int Index, bool Displacement, DataAddress Address, ulong LabelId, bool Branch = false);
}

/// <summary>Encoded code: its bytes and where each instruction and label ended up.</summary>
internal sealed record EncodedCode(
    byte[] Bytes,
    uint CodeBase,
    uint[] InstructionOffsets,
    IReadOnlyDictionary<ulong, int> LabelIndex,
    uint DataBase,
    uint BssBase,
    uint HypercallPageBase)
{
    public uint InstructionAddress(int index)
        => index < InstructionOffsets.Length ? CodeBase + InstructionOffsets[index] : CodeBase + (uint)Bytes.Length;

    public uint LabelAddress(ulong labelId) => InstructionAddress(LabelIndex[labelId]);

    public uint LabelAddress(Label label) => LabelAddress(label.Id);
}
