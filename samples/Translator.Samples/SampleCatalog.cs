using System.Reflection;
using Translator.Guest;

namespace Translator.Samples;

/// <summary>A sample kernel as built by the kernel compiler.</summary>
/// <param name="Name">The name the command line uses (<c>translator run Hello</c>).</param>
/// <param name="Summary">One line on what the sample shows.</param>
/// <param name="Image">The bare-metal multiboot image (flat, loads at 0x00100000), bootable on QEMU.</param>
/// <param name="EntryAddress">Where the image starts executing.</param>
/// <param name="Symbols">Every function and data item of the image, by address.</param>
/// <param name="Listing">The disassembly, under the source lines it came from.</param>
/// <param name="ExpectedOutput">The exact COM1 bytes every backend must print (the image exits with status 1).</param>
public sealed record SampleKernel(
    string Name,
    string Summary,
    byte[] Image,
    uint EntryAddress,
    IReadOnlyList<GuestSymbol> Symbols,
    string Listing,
    byte[] ExpectedOutput)
{
    /// <summary>The kernel's PV build (the same source against the hypercall interface; runs only under pv), when the kernel compiler made one.</summary>
    public byte[]? ParavirtImage { get; init; }

    /// <summary>The symbol whose code or data holds <paramref name="address"/>, if any.</summary>
    public GuestSymbol? SymbolAt(uint address)
        => Symbols.FirstOrDefault(s => address >= s.Address && address < s.Address + Math.Max(s.Size, 1));
}

/// <summary>The sample kernels built into the tool, by name (case-insensitive).</summary>
public static class SampleCatalog
{
    private static readonly Lazy<IReadOnlyList<SampleKernel>> s_all = new(() =>
    [
        Create("Hello", "prints a greeting and a sum, then exits", Hello.Image, Hello.EntryAddress, Hello.Symbols, Hello.Listing, Hello.ParavirtImage),
        Create("Compute", "CPU-bound: sieve, CRC32, quicksort, hashing", Compute.Image, Compute.EntryAddress, Compute.Symbols, Compute.Listing, Compute.ParavirtImage),
        Create("Multitasking", "timer-preempted ring 3 tasks, system calls, a page directory per task", Multitasking.Image, Multitasking.EntryAddress, Multitasking.Symbols, Multitasking.Listing, Multitasking.ParavirtImage),
        Create("Microbench", "Adams & Agesen nanobenchmarks: syscall, in, cr3 write, call/ret, page fault, #DE, PTE update", Microbench.Image, Microbench.EntryAddress, Microbench.Symbols, Microbench.Listing, Microbench.ParavirtImage),
        Create("Holes", "what SGDT, SIDT, SLDT, SMSW, STR, POPF, LAR, LSL, VERR, VERW and CS reveal at ring 0 and ring 3", Holes.Image, Holes.EntryAddress, Holes.Symbols, Holes.Listing, Holes.ParavirtImage),
        Create("Report", "I/O-bound: a 256-line table through COM1, two port accesses per character on bare metal", Report.Image, Report.EntryAddress, Report.Symbols, Report.Listing, Report.ParavirtImage),
    ]);

    public static IReadOnlyList<SampleKernel> All => s_all.Value;

    public static IEnumerable<string> Names => All.Select(s => s.Name);

    public static SampleKernel? Find(string name)
        => All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    private static SampleKernel Create(string name, string summary, ReadOnlySpan<byte> image, uint entry, IReadOnlyList<GuestSymbol> symbols,
        string listing, ReadOnlySpan<byte> paravirtImage)
        => new(name, summary, image.ToArray(), entry, symbols, listing, Expected(name))
        {
            ParavirtImage = paravirtImage.IsEmpty ? null : paravirtImage.ToArray(),
        };

    private static byte[] Expected(string name)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name + ".expected.txt")
            ?? throw new InvalidOperationException($"the expected output of sample {name} is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
