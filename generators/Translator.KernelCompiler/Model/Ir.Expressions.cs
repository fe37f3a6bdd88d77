namespace Translator.KernelCompiler.Model;

// IR for the constructs that lower to a value computed once and tested many times (switch expressions, patterns,
// Math.Min/Max/Clamp, an index from the end) and for the bit-scan instructions BitOperations lowers to.

/// <summary>
/// <c>let slot = Value in Body</c>: evaluates <paramref name="Value"/> once into a frame slot, then
/// <paramref name="Body"/>, which reads the slot as often as it needs (a switch expression's arms, a pattern's tests).
/// </summary>
internal sealed record LetExpr(GuestType Type, int Slot, Expr Value, Expr Body) : Expr(Type);

internal enum BitCount : byte
{
    /// <summary><c>BitOperations.TrailingZeroCount</c>: BSF, the operand's width for zero.</summary>
    TrailingZeros,

    /// <summary><c>BitOperations.LeadingZeroCount</c>: BSR, width - 1 - index, the width for zero.</summary>
    LeadingZeros,

    /// <summary><c>BitOperations.Log2</c>: BSR, 0 for zero.</summary>
    Log2,

    /// <summary><c>BitOperations.PopCount</c>: the processor model reports no POPCNT, so a shift-and-add sequence.</summary>
    Population,
}

/// <summary>A <see cref="BitCount"/> of a 32-bit or 64-bit operand (<paramref name="Operand"/>'s type); the result is an int.</summary>
internal sealed record BitCountExpr(BitCount Op, Expr Operand) : Expr(GuestType.Int32);
