using Iced.Intel;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>Operands as C# expressions over the register locals and the MMU's inline TLB fast path.</summary>
internal sealed partial class RegionEmitter
{
    private static string Mask(int bits) => bits == 32 ? "" : bits == 16 ? " & 0xFFFFu" : " & 0xFFu";

    private static string Masked(string value, int bits) => bits == 32 ? value : $"(({value}){Mask(bits)})";

    private string ReadRegister(Register r)
    {
        if (r.IsGPR32())
        {
            int k = r - Register.EAX;
            _used[k] = true;
            return s_reg32[k];
        }

        if (r.IsGPR16())
        {
            int k = r - Register.AX;
            _used[k] = true;
            return $"({s_reg32[k]} & 0xFFFFu)";
        }

        int b = r - Register.AL;
        _used[b & 3] = true;
        return b < 4 ? $"({s_reg32[b]} & 0xFFu)" : $"(({s_reg32[b - 4]} >> 8) & 0xFFu)";
    }

    /// <summary>Assigns <paramref name="value"/> (already within the register's width) to <paramref name="r"/>.</summary>
    private void WriteRegister(Register r, string value) => W.Line(RegisterAssignment(r, value));

    /// <summary>
    /// The assignment of <paramref name="value"/> to a register: to its local and, written through, to the CPU, so
    /// that slow paths and exits never store registers (nothing keeps every register live across the method); not
    /// written through when a later instruction of the same straight line overwrites it before anything outside the
    /// method could read the CPU's copy (<see cref="WrittenAgainBeforeObserved"/>).
    /// </summary>
    private string RegisterAssignment(Register r, string value)
    {
        int k;
        string assignment;
        if (r.IsGPR32())
        {
            k = r - Register.EAX;
            assignment = $"{s_reg32[k]} = {value};";
        }
        else if (r.IsGPR16())
        {
            k = r - Register.AX;
            assignment = $"{s_reg32[k]} = ({s_reg32[k]} & 0xFFFF0000u) | ({value});";
        }
        else
        {
            int b = r - Register.AL;
            k = b & 3;
            assignment = b < 4
                ? $"{s_reg32[b]} = ({s_reg32[b]} & 0xFFFFFF00u) | ({value});"
                : $"{s_reg32[b - 4]} = ({s_reg32[b - 4]} & 0xFFFF00FFu) | (({value}) << 8);";
        }

        _written[k] = true;
        _writesByNode[_node!.Index] |= 1 << k;
        return WrittenAgainBeforeObserved(k) ? assignment : $"{assignment} Unsafe.Add(ref cpu.TcRegisters, {k}) = {s_reg32[k]};";
    }

    /// <summary>The effective address of the memory operand (flat segments: the linear address).</summary>
    private string Address(in Instruction i)
    {
        string text = "";
        if (i.MemoryBase != Register.None)
        {
            text = ReadRegister(i.MemoryBase);
        }

        if (i.MemoryIndex != Register.None)
        {
            string index = ReadRegister(i.MemoryIndex);
            int scale = i.MemoryIndexScale;
            string scaled = scale == 1 ? index : $"({index} << {(scale == 2 ? 1 : scale == 4 ? 2 : 3)})";
            text = text.Length == 0 ? scaled : $"{text} + {scaled}";
        }

        uint displacement = i.MemoryDisplacement32;
        if (text.Length == 0)
        {
            return Hex(displacement);
        }

        return displacement == 0 ? text : $"{text} + {Hex(displacement)}";
    }

    private static int MemoryBits(in Instruction i) => i.MemorySize.GetSize() * 8;

    private static string ReadMemory(string address, int bits) => bits switch
    {
        8 => $"(uint)cpu.Mmu.Read8({address})",
        16 => $"(uint)cpu.Mmu.Read16({address})",
        _ => $"cpu.Mmu.Read32({address})",
    };

    private static string WriteMemory(string address, string value, int bits) => bits switch
    {
        8 => $"cpu.Mmu.Write8({address}, (byte)({value}));",
        16 => $"cpu.Mmu.Write16({address}, (ushort)({value}));",
        _ => $"cpu.Mmu.Write32({address}, {value});",
    };

    private static string Immediate(in Instruction i, int n, int bits) => Hex((uint)i.GetImmediate(n) & (bits == 32 ? 0xFFFF_FFFFu : (1u << bits) - 1));

    /// <summary>
    /// Emits the read of operand <paramref name="n"/> into a new local named <paramref name="name"/> (a memory
    /// operand's address goes to <c>m</c> when <paramref name="keepAddress"/>); returns the local's name.
    /// </summary>
    private string Load(Node node, int n, int bits, string name, bool keepAddress = false)
    {
        Instruction i = node.D.Instruction;
        switch (i.GetOpKind(n))
        {
            case OpKind.Register:
                W.Line($"uint {name} = {ReadRegister(i.GetOpRegister(n))};");
                break;
            case OpKind.Memory:
                string at = keepAddress ? "m" : name + "At";
                W.Line($"uint {at} = {Address(in i)};");
                ReadMemoryInto(node, name, at, bits);
                break;
            default:
                W.Line($"uint {name} = {Immediate(in i, n, bits)};");
                break;
        }

        return name;
    }

    /// <summary>
    /// Stores <paramref name="value"/> into operand 0 (register, or memory at <c>m</c>). <paramref name="onStop"/>
    /// completes the instruction when the store hit cached code and the translated code must stop after it.
    /// </summary>
    private void Store(Node node, string value, int bits, string onStop = "")
    {
        Instruction i = node.D.Instruction;
        if (i.Op0Kind == OpKind.Register)
        {
            WriteRegister(i.Op0Register, value);
            return;
        }

        WriteMemoryFrom(node, "m", value, bits, onStop);
    }

    /// <summary>The TLB entry of <paramref name="address"/>'s page: 1024 entries of 32 bytes, indexed by the page number.</summary>
    private static string TlbProbe(string address) => $"te = (uint*)((byte*)tlb + (({address} >> 7) & 0x7FE0u));";

    /// <summary>
    /// What a tag must equal for a hit: the page address with the low bits an aligned access leaves clear, so one
    /// compare finds both a miss and a misaligned access (which may cross the page: the slow path handles it).
    /// </summary>
    private static string TagOf(string address, int bits) => bits switch
    {
        8 => $"({address} & 0xFFFFF000u)",
        16 => $"({address} & 0xFFFFF001u)",
        _ => $"({address} & 0xFFFFF003u)",
    };

    /// <summary>The host location of a TLB hit: the entry's addend (word 4: read, 6: write) plus the linear address.</summary>
    private static string RamAt(int addendWord, string address, int bits) => bits switch
    {
        8 => $"*((byte*)*(nint*)(te + {addendWord}) + {address})",
        16 => $"*(ushort*)((byte*)*(nint*)(te + {addendWord}) + {address})",
        _ => $"*(uint*)((byte*)*(nint*)(te + {addendWord}) + {address})",
    };

    /// <summary>
    /// A read through the software TLB inline (a hit is one compare and a RAM load); a miss makes the state precise
    /// and takes the MMU's slow path (page walk, MMIO, faults). <paramref name="address"/> must be a local.
    /// </summary>
    private void ReadMemoryInto(Node node, string name, string address, int bits)
    {
        W.Line($"uint {name} = 0; {TlbProbe(address)}");
        W.Line($"if (te[0] == {TagOf(address, bits)}) {name} = {RamAt(4, address, bits)};");
        W.Line($"else {{ {SlowPathEntry(node)} {name} = {ReadMemory(address, bits)}; cpu.TcFaultPointPassed(); {SlowPathExit()} }}");
    }

    /// <summary>
    /// A write through the software TLB inline. Pages holding cached code have no write entries, so only the slow
    /// path can hit code; then the code stops after this instruction (<paramref name="onStop"/> completes it).
    /// </summary>
    private void WriteMemoryFrom(Node node, string address, string value, int bits, string? onStop)
    {
        string cast = bits == 8 ? "(byte)" : bits == 16 ? "(ushort)" : "";
        W.Line(TlbProbe(address));
        W.Line($"if (te[1] == {TagOf(address, bits)}) {RamAt(6, address, bits)} = {cast}({value});");
        string stop = onStop == null ? "" : " if (cpu.TcStopRequested) { " + (onStop.Length > 0 ? onStop + " " : "")
            + $"left -= {_pending + 1}; cpu.Eip = {Hex(node.D.NextIp)}; goto Exit; }}";
        W.Line($"else {{ {SlowPathEntry(node)} {WriteMemory(address, value, bits)} cpu.TcFaultPointPassed();{stop} {SlowPathExit()} }}");
    }
}
