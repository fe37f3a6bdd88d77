namespace Translator.Machine.Loader;

/// <summary>
/// One range to place in guest RAM: <paramref name="FileSize"/> bytes from the image, then zeros up to
/// <paramref name="MemorySize"/>. <paramref name="Name"/> identifies it in error messages.
/// </summary>
internal readonly record struct LoadSegment(string Name, uint Address, int FileOffset, int FileSize, ulong MemorySize)
{
    public ulong End => (ulong)Address + MemorySize;
}
