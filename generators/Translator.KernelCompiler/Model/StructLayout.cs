namespace Translator.KernelCompiler.Model;

/// <summary>
/// A field of a guest struct: its type and byte offset; <paramref name="FixedLength"/> is the element count of a
/// <c>fixed T Name[n]</c> buffer (then <paramref name="Type"/> is the element type), 0 otherwise.
/// </summary>
internal sealed record StructField(string Name, GuestType Type, int Offset, int FixedLength);

/// <summary>
/// A user-defined struct as guest memory holds it: C#'s own layout rules (sequential with natural alignment, or
/// <c>LayoutKind.Explicit</c> offsets; <c>Pack</c> and <c>Size</c> honoured), so <c>sizeof(T)</c> agrees with .NET.
/// </summary>
internal sealed record StructLayout(string Name, int Size, int Alignment, EquatableArray<StructField> Fields)
{
    public StructField? Field(string name)
    {
        foreach (StructField field in Fields)
        {
            if (field.Name == name)
            {
                return field;
            }
        }

        return null;
    }
}
