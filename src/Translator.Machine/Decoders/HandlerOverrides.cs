using Iced.Intel;
using Translator.Machine.Cpu;

namespace Translator.Machine.Decoders;

/// <summary>
/// Handlers that replace the architectural ones for chosen instructions: how a VMM running a deprivileged guest
/// turns sensitive instructions into callouts. Installed on <see cref="X86Cpu.HandlerOverrides"/> before any code
/// is decoded; blocks decoded afterwards dispatch the listed codes to the replacement.
/// </summary>
internal sealed unsafe class HandlerOverrides
{
    private readonly nint[] _byCode = new nint[Enum.GetValues<Code>().Length];

    /// <summary>Routes every form of <paramref name="mnemonic"/> to <paramref name="handler"/>.</summary>
    public void Add(Mnemonic mnemonic, delegate*<X86Cpu, ref DecodedOp, void> handler)
    {
        for (int i = 0; i < _byCode.Length; i++)
        {
            if (((Code)i).Mnemonic() == mnemonic)
            {
                _byCode[i] = (nint)handler;
            }
        }
    }

    /// <summary>Routes one form to <paramref name="handler"/> (MOV to/from a segment register, for instance).</summary>
    public void Add(Code code, delegate*<X86Cpu, ref DecodedOp, void> handler) => _byCode[(int)code] = (nint)handler;

    /// <summary>The replacement for <paramref name="code"/>, or null when the architectural handler runs.</summary>
    public delegate*<X86Cpu, ref DecodedOp, void> For(Code code) => (delegate*<X86Cpu, ref DecodedOp, void>)_byCode[(int)code];
}
