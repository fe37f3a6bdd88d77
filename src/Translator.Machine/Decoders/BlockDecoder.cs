using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Instructions;
using Translator.Machine.Memory;

namespace Translator.Machine.Decoders;

/// <summary>
/// Decodes guest code into <see cref="Block"/>s with Iced. A block never crosses a page boundary, except for a
/// first instruction that straddles one (its fetch from the second page can then fault, as on hardware).
/// </summary>
internal sealed unsafe class BlockDecoder
{
    public const int MaxBlockInstructions = BlockBoundary.MaxInstructions;

    private readonly byte[] _buffer = new byte[4096 + 16];
    private readonly X86Cpu _cpu;
    private readonly List<DecodedOp> _ops = new(MaxBlockInstructions);

    public BlockDecoder(X86Cpu cpu) => _cpu = cpu;

    public Block Decode(uint linearIp)
    {
        Mmu mmu = _cpu.Mmu;
        bool user = _cpu.Cpl == 3;
        uint physicalIp = mmu.Translate(linearIp, write: false, user);
        int inPage = 4096 - (int)(linearIp & 0xFFF);

        // A block holds at most MaxBlockInstructions of at most 15 bytes: no need to copy the rest of the page.
        int window = Math.Min(inPage, MaxBlockInstructions * 15);
        CopyPhysical(physicalIp, _buffer.AsSpan(0, window));
        int available = window;
        uint lastPhysicalPage = physicalIp & 0xFFFF_F000;

        _ops.Clear();
        var reader = new ByteArrayCodeReader(_buffer, 0, available);
        var decoder = Decoder.Create(32, reader, linearIp, DecoderOptions.None);
        int offset = 0;
        while (_ops.Count < MaxBlockInstructions)
        {
            decoder.Decode(out Instruction instruction);
            bool truncated = decoder.LastError == DecoderError.NoMoreBytes;
            if (truncated)
            {
                if (_ops.Count > 0 || window < inPage)
                {
                    break; // let the straddling instruction start its own block
                }

                // The first instruction continues on the next page: fetch it (this may #PF with CR2 = that page).
                uint nextLinear = (linearIp | 0xFFF) + 1;
                uint nextPhysical = mmu.Translate(nextLinear, write: false, user);
                CopyPhysical(nextPhysical, _buffer.AsSpan(inPage, 16));
                available = inPage + 16;
                lastPhysicalPage = nextPhysical & 0xFFFF_F000;
                reader = new ByteArrayCodeReader(_buffer, 0, available);
                decoder = Decoder.Create(32, reader, linearIp, DecoderOptions.None);
                decoder.Decode(out instruction);
            }

            _ops.Add(Resolve(in instruction, _cpu.HandlerOverrides));
            offset += instruction.Length;
            if (BlockBoundary.EndsBlock(in instruction) || offset >= inPage)
            {
                break;
            }
        }

        _cpu.Counters.BlocksDecoded++;
        return new Block
        {
            Ops = _ops.ToArray(),
            LinearIp = linearIp,
            PhysicalIp = physicalIp,
            LastPhysicalPage = lastPhysicalPage,
        };
    }

    private void CopyPhysical(uint physical, Span<byte> destination)
    {
        PhysicalMemory memory = _cpu.Mmu.Physical;
        if (memory.IsBacked(physical, destination.Length))
        {
            memory.Span(physical, destination.Length).CopyTo(destination);
            return;
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = memory.Read8(physical + (uint)i);
        }
    }

    internal static DecodedOp Resolve(in Instruction instruction) => Resolve(in instruction, overrides: null);

    /// <summary>
    /// Resolves <paramref name="instruction"/>; a handler in <paramref name="overrides"/> (a VMM's callouts,
    /// indexed by <see cref="Code"/>) replaces the architectural one and its operand-specialised fast paths.
    /// </summary>
    internal static DecodedOp Resolve(in Instruction instruction, HandlerOverrides? overrides)
    {
        var op = new DecodedOp
        {
            Instruction = instruction,
            Ip = instruction.IP32,
            NextIp = instruction.NextIP32,
            Base = X86Cpu.ZeroRegister,
            Index = X86Cpu.ZeroRegister,
            Execute = instruction.Code == Code.INVALID ? &InstSystem.Undefined : InstructionTable.For(instruction.Code),
        };

        int count = Math.Min(instruction.OpCount, 3);
        int immediates = 0;
        int bits = 0, srcBits = 0;
        for (int n = 0; n < count; n++)
        {
            OpKind kind = instruction.GetOpKind(n);
            OperandKind resolved;
            byte reg = 0;
            int size = 0;
            switch (kind)
            {
                case OpKind.Register:
                    (resolved, reg, size) = ResolveRegister(instruction.GetOpRegister(n));
                    break;
                case OpKind.Memory:
                    resolved = OperandKind.Memory;
                    ResolveMemory(ref op, in instruction);
                    size = instruction.MemorySize.GetSize() * 8;
                    break;
                case OpKind.Immediate8:
                case OpKind.Immediate8_2nd:
                case OpKind.Immediate16:
                case OpKind.Immediate32:
                case OpKind.Immediate8to16:
                case OpKind.Immediate8to32:
                    resolved = OperandKind.Immediate;
                    SetImmediate(ref op, ref immediates, (uint)instruction.GetImmediate(n));
                    break;
                case OpKind.NearBranch16:
                case OpKind.NearBranch32:
                    resolved = OperandKind.Immediate;
                    SetImmediate(ref op, ref immediates, instruction.NearBranch32);
                    break;
                case OpKind.FarBranch16:
                case OpKind.FarBranch32:
                    resolved = OperandKind.Immediate;
                    op.Immediate = kind == OpKind.FarBranch32 ? instruction.FarBranch32 : instruction.FarBranch16;
                    op.Immediate2 = instruction.FarBranchSelector;
                    immediates = 2;
                    break;
                default:
                    resolved = OperandKind.Other;
                    break;
            }

            if (resolved is OperandKind.Gpr or OperandKind.Memory && size is 8 or 16 or 32)
            {
                if (bits == 0)
                {
                    bits = size;
                }
                else if (srcBits == 0)
                {
                    srcBits = size;
                }
            }

            switch (n)
            {
                case 0: op.K0 = resolved; op.R0 = reg; break;
                case 1: op.K1 = resolved; op.R1 = reg; break;
                default: op.K2 = resolved; op.R2 = reg; break;
            }
        }

        op.Bits = (byte)(bits == 0 ? 32 : bits);
        op.SrcBits = (byte)(srcBits == 0 ? op.Bits : srcBits);
        if (instruction.ConditionCode != ConditionCode.None)
        {
            op.Condition = (byte)(instruction.ConditionCode - 1);
        }

        if (overrides is not null && overrides.For(instruction.Code) is var replaced && replaced != null)
        {
            op.Execute = replaced;
            return SegmentOverride.Wrap(ref op); // a callout is never register-only: it may fault, exit or end the block
        }

        op.RegisterOnly = IsRegisterOnly(in instruction, ref op);
        if (instruction.Code != Code.INVALID && InstFastPaths.Select(ref op) is var fast && fast != null)
        {
            op.Execute = fast;
        }

        return SegmentOverride.Wrap(ref op);
    }

    /// <summary>Integer instructions that touch only general registers and flags: they cannot fault or stop a block.</summary>
    private static bool IsRegisterOnly(in Instruction instruction, ref DecodedOp op)
    {
        if (op.K0 is not (OperandKind.Gpr or OperandKind.None) || op.K1 is not (OperandKind.Gpr or OperandKind.Immediate or OperandKind.None)
            || op.K2 is not (OperandKind.Gpr or OperandKind.Immediate or OperandKind.None) || instruction.HasLockPrefix)
        {
            return false;
        }

        switch (instruction.Mnemonic)
        {
            case Mnemonic.Add: case Mnemonic.Adc: case Mnemonic.Sub: case Mnemonic.Sbb: case Mnemonic.Cmp:
            case Mnemonic.And: case Mnemonic.Or: case Mnemonic.Xor: case Mnemonic.Test: case Mnemonic.Inc:
            case Mnemonic.Dec: case Mnemonic.Neg: case Mnemonic.Not: case Mnemonic.Shl: case Mnemonic.Shr:
            case Mnemonic.Sar: case Mnemonic.Rol: case Mnemonic.Ror: case Mnemonic.Rcl: case Mnemonic.Rcr:
            case Mnemonic.Shld: case Mnemonic.Shrd: case Mnemonic.Movzx: case Mnemonic.Movsx: case Mnemonic.Xchg:
            case Mnemonic.Cdq: case Mnemonic.Cwde: case Mnemonic.Cbw: case Mnemonic.Cwd: case Mnemonic.Bswap:
            case Mnemonic.Imul: case Mnemonic.Mul: case Mnemonic.Bt: case Mnemonic.Bts: case Mnemonic.Btr:
            case Mnemonic.Btc: case Mnemonic.Bsf: case Mnemonic.Bsr: case Mnemonic.Lahf: case Mnemonic.Sahf:
            case Mnemonic.Clc: case Mnemonic.Stc: case Mnemonic.Cmc: case Mnemonic.Cld: case Mnemonic.Std:
                return true;
            case Mnemonic.Mov:
                return op.K0 == OperandKind.Gpr; // not to/from segment, control or debug registers
            default:
                return instruction.ConditionCode != ConditionCode.None
                    && instruction.FlowControl is FlowControl.ConditionalBranch or FlowControl.Next
                    && instruction.Mnemonic is not (Mnemonic.Loop or Mnemonic.Loope or Mnemonic.Loopne);
        }
    }

    private static void SetImmediate(ref DecodedOp op, ref int immediates, uint value)
    {
        if (immediates++ == 0)
        {
            op.Immediate = value;
        }
        else
        {
            op.Immediate2 = value;
        }
    }

    private static (OperandKind, byte, int) ResolveRegister(Register register)
    {
        if (register.IsGPR32()) return (OperandKind.Gpr, (byte)(register - Register.EAX), 32);
        if (register.IsGPR16()) return (OperandKind.Gpr, (byte)(register - Register.AX), 16);
        if (register.IsGPR8()) return (OperandKind.Gpr, (byte)(register - Register.AL), 8);
        if (register.IsSegmentRegister()) return (OperandKind.Segment, (byte)(register - Register.ES), 16);
        if (register.IsCR()) return (OperandKind.Control, (byte)(register - Register.CR0), 32);
        if (register.IsDR()) return (OperandKind.Debug, (byte)(register - Register.DR0), 32);
        return (OperandKind.Other, 0, 0);
    }

    private static void ResolveMemory(ref DecodedOp op, in Instruction instruction)
    {
        Register memoryBase = instruction.MemoryBase;
        Register memoryIndex = instruction.MemoryIndex;
        op.AddressSize16 = memoryBase.IsGPR16() || memoryIndex.IsGPR16();
        op.Base = GprNumber(memoryBase);
        op.Index = GprNumber(memoryIndex);
        op.Scale = instruction.MemoryIndexScale switch { 2 => 1, 4 => 2, 8 => 3, _ => 0 };
        op.Displacement = op.AddressSize16 ? (uint)(ushort)instruction.MemoryDisplacement32 : instruction.MemoryDisplacement32;
    }

    private static byte GprNumber(Register register)
    {
        if (register == Register.None) return X86Cpu.ZeroRegister;
        if (register.IsGPR32()) return (byte)(register - Register.EAX);
        if (register.IsGPR16()) return (byte)(register - Register.AX);
        return X86Cpu.ZeroRegister;
    }
}
