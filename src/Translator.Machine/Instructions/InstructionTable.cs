using Iced.Intel;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>
/// Maps every Iced <see cref="Code"/> to the interpreter method that executes it. Categories register by mnemonic
/// (every form shares one operand-generic method) and override single codes where a form needs its own.
/// Codes nobody registered raise #UD, or #NM for x87 instructions while CR0.EM/TS say so.
/// </summary>
internal static unsafe class InstructionTable
{
    private static readonly delegate*<X86Cpu, ref DecodedOp, void>[] s_byCode = Build();

    public static delegate*<X86Cpu, ref DecodedOp, void> For(Code code) => s_byCode[(int)code];

    private static delegate*<X86Cpu, ref DecodedOp, void>[] Build()
    {
        var builder = new InstructionTableBuilder();
        InstAlu.Register(builder);
        InstMove.Register(builder);
        InstFlow.Register(builder);
        InstStack.Register(builder);
        InstShift.Register(builder);
        InstMulDiv.Register(builder);
        InstBit.Register(builder);
        InstString.Register(builder);
        InstSystem.Register(builder);
        InstIo.Register(builder);
        InstX87.Register(builder);
        InstMmx.Register(builder);
        InstSse.Register(builder);
        InstFxsr.Register(builder);
        return builder.Build();
    }
}

internal sealed unsafe class InstructionTableBuilder
{
    private readonly Dictionary<Mnemonic, nint> _byMnemonic = [];
    private readonly Dictionary<Code, nint> _byCode = [];

    public void Add(Mnemonic mnemonic, delegate*<X86Cpu, ref DecodedOp, void> handler) => _byMnemonic[mnemonic] = (nint)handler;

    public void Add(Code code, delegate*<X86Cpu, ref DecodedOp, void> handler) => _byCode[code] = (nint)handler;

    public delegate*<X86Cpu, ref DecodedOp, void>[] Build()
    {
        var table = new delegate*<X86Cpu, ref DecodedOp, void>[Enum.GetValues<Code>().Length];
        for (int i = 0; i < table.Length; i++)
        {
            var code = (Code)i;
            if (_byCode.TryGetValue(code, out nint handler) || _byMnemonic.TryGetValue(code.Mnemonic(), out handler))
            {
                table[i] = (delegate*<X86Cpu, ref DecodedOp, void>)handler;
            }
            else
            {
                table[i] = &InstSystem.Undefined;
            }
        }

        return table;
    }
}
