using Iced.Intel;
using Translator.KernelCompiler.Model;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.CodeGen;

/// <summary>A value computed once into a slot (<see cref="LetExpr"/>), and the bit scans BitOperations lowers to.</summary>
internal sealed partial class FunctionCompiler
{
    private void EvaluateLet(LetExpr let)
    {
        Evaluate(let.Value);
        _a.mov(Slot(let.Slot), eax);
        if (let.Value.Type.IsWide)
        {
            _a.mov(Slot(let.Slot, 4), edx);
        }

        Evaluate(let.Body);
    }

    private void EvaluateBitCount(BitCountExpr bits)
    {
        Evaluate(bits.Operand);
        bool wide = bits.Operand.Type.IsWide;
        switch (bits.Op)
        {
            case BitCount.Population:
                Population(wide);
                break;
            case BitCount.TrailingZeros:
                TrailingZeros(wide);
                break;
            default:
                HighestSetBit(wide, bits.Op);
                break;
        }
    }

    /// <summary>BSF on the low half, else on the high half plus 32; a zero operand gives its width.</summary>
    private void TrailingZeros(bool wide)
    {
        Label done = _code.NewLabel();
        Label zero = _code.NewLabel();
        _a.bsf(eax, eax);
        if (!wide)
        {
            _a.jne(done);
            _a.mov(eax, 32);
            _code.Bind(done);
            return;
        }

        _a.jne(done);
        _a.bsf(eax, edx);
        _a.je(zero);
        _a.add(eax, 32);
        _a.jmp(done);
        _code.Bind(zero);
        _a.mov(eax, 64);
        _code.Bind(done);
    }

    /// <summary>
    /// BSR gives the index of the highest set bit (on the high half first for 64 bits): Log2 is that index (0 for
    /// zero), LeadingZeroCount is width - 1 - index (the width for zero).
    /// </summary>
    private void HighestSetBit(bool wide, BitCount op)
    {
        int width = wide ? 64 : 32;
        Label found = _code.NewLabel();
        Label zero = _code.NewLabel();
        Label done = _code.NewLabel();
        if (wide)
        {
            Label low = _code.NewLabel();
            _a.bsr(ecx, edx);
            _a.je(low);
            _a.lea(eax, __[ecx + 32]);
            _a.jmp(found);
            _code.Bind(low);
        }

        _a.bsr(eax, eax);
        _a.je(zero);
        _code.Bind(found);
        if (op == BitCount.LeadingZeros)
        {
            _a.xor(eax, width - 1);
        }

        _a.jmp(done);
        _code.Bind(zero);
        _a.mov(eax, op == BitCount.LeadingZeros ? width : 0);
        _code.Bind(done);
    }

    /// <summary>The classic SWAR population count, per 32-bit half (the modelled processor has no POPCNT).</summary>
    private void Population(bool wide)
    {
        if (wide)
        {
            _a.push(edx);
            Population32();
            _a.mov(ecx, __dword_ptr[esp]);
            _a.mov(__dword_ptr[esp], eax);
            _a.mov(eax, ecx);
            Population32();
            _a.pop(ecx);
            _a.add(eax, ecx);
            return;
        }

        Population32();
    }

    /// <summary>EAX = popcount(EAX); clobbers ECX.</summary>
    private void Population32()
    {
        _a.mov(ecx, eax);
        _a.shr(ecx, 1);
        _a.and(ecx, 0x5555_5555);
        _a.sub(eax, ecx);
        _a.mov(ecx, eax);
        _a.shr(ecx, 2);
        _a.and(eax, 0x3333_3333);
        _a.and(ecx, 0x3333_3333);
        _a.add(eax, ecx);
        _a.mov(ecx, eax);
        _a.shr(ecx, 4);
        _a.add(eax, ecx);
        _a.and(eax, 0x0F0F_0F0F);
        _a.imul(eax, eax, 0x0101_0101);
        _a.shr(eax, 24);
    }
}
