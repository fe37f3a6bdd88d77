using System.Globalization;
using System.Reflection;

namespace Translator.Vmm;

/// <summary>
/// The cycle costs of the cost model (docs/cost-model.md gives each one's source). Every parameter can be
/// overridden by name (<c>--cost vmExit=1500</c>), so the same event counts can be re-priced for another processor
/// generation without running the guest differently.
/// </summary>
public sealed record CostParameters
{
    public static CostParameters Default { get; } = new();

    /// <summary>A retired guest instruction (a P6-class core retires about one integer instruction per cycle).</summary>
    public ulong Instruction { get; init; } = 1;

    /// <summary>An exception or interrupt delivered through the guest IDT, with its IRET.</summary>
    public ulong InterruptDelivery { get; init; } = 200;

    /// <summary>One VM exit and the VM entry back (first-generation VT-x), excluding the VMM's handling work.</summary>
    public ulong VmExit { get; init; } = 8_400;

    /// <summary>The VMM's device-model work for one emulated port access.</summary>
    public ulong IoEmulation { get; init; } = 200;

    /// <summary>The VMM's work to resolve a hidden page fault: walk the guest tables, fill the shadow entry.</summary>
    public ulong ShadowFill { get; init; } = 2_800;

    /// <summary>The VMM's work on a guest CR3 load or paging-mode change under shadow paging (drop the shadow context).</summary>
    public ulong ShadowFlush { get; init; } = 1_000;

    /// <summary>The VMM's work on an EPT violation (check the memory slot, install the mapping).</summary>
    public ulong EptFill { get; init; } = 1_000;

    /// <summary>Extra cycles of a TLB miss under EPT: the two-dimensional walk's additional memory references.</summary>
    public ulong NestedWalk { get; init; } = 48;

    /// <summary>For the binary-translation estimate: a privileged instruction translated into a callout, not a trap.</summary>
    public ulong BtCallout { get; init; } = 40;

    /// <summary>For the binary-translation estimate: a fault reaching the VMM (a native-speed trap to ring 0).</summary>
    public ulong BtTrap { get; init; } = 1_100;

    /// <summary>For the binary-translation estimate: what a guest system call (INT n and its IRET) costs beyond native.</summary>
    public ulong BtSyscall { get; init; } = 2_000;

    /// <summary>For the binary-translation estimate: an exception or IRQ reflected into the deprivileged guest, beyond native.</summary>
    public ulong BtReflection { get; init; } = 2_300;

    /// <summary>
    /// pv: one hypercall (int 0x82 to the VMM and back, argument validation and the handler), priced like a system
    /// call round trip to a more privileged ring plus the VMM's bookkeeping, well below a VM exit.
    /// </summary>
    public ulong PvHypercall { get; init; } = 1_000;

    /// <summary>pv: an exception or event upcall bounced into the guest kernel by the VMM, beyond native delivery.</summary>
    public ulong PvBounce { get; init; } = 1_200;

    /// <summary>Parameter names as the command line spells them (camelCase property names).</summary>
    public static IReadOnlyList<string> Names { get; } =
        typeof(CostParameters).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(ulong))
            .Select(p => CamelCase(p.Name))
            .ToArray();

    /// <summary>A copy with parameter <paramref name="name"/> set; throws <see cref="ArgumentException"/> for an unknown name.</summary>
    public CostParameters With(string name, ulong cycles)
    {
        PropertyInfo? property = typeof(CostParameters).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => p.PropertyType == typeof(ulong) && CamelCase(p.Name) == name);
        if (property is null)
        {
            throw new ArgumentException($"unknown cost parameter '{name}' (known: {string.Join(", ", Names)})", nameof(name));
        }

        CostParameters copy = this with { };
        property.SetValue(copy, cycles);
        return copy;
    }

    public IReadOnlyDictionary<string, ulong> ToDictionary() =>
        typeof(CostParameters).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(ulong))
            .ToDictionary(p => CamelCase(p.Name), p => (ulong)p.GetValue(this)!);

    private static string CamelCase(string name) => char.ToLower(name[0], CultureInfo.InvariantCulture) + name[1..];
}

/// <summary>
/// Modeled cycles of one run, by where they went. <see cref="Total"/> is the run's <c>modeledCycles</c>;
/// <see cref="BinaryTranslationEstimate"/> prices the same guest events as a binary-translating VMM would pay them
/// (privileged operations as callouts, hidden faults as native-speed traps), to compare with VT-x without EPT.
/// </summary>
public sealed record CycleAccount(
    ulong Instructions,
    ulong Deliveries,
    ulong Exits,
    ulong VmmWork,
    ulong NestedWalks,
    ulong? BinaryTranslationEstimate)
{
    public ulong Total => Instructions + Deliveries + Exits + VmmWork + NestedWalks;
}
