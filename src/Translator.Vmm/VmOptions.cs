using Translator.Machine;

namespace Translator.Vmm;

/// <summary>How the guest's instructions reach the processor (DESIGN.md's backends).</summary>
public enum BackendKind
{
    /// <summary>The guest on the bare emulated PC, no VMM: the reference for equivalence.</summary>
    Native,

    /// <summary>The unmodified guest in VMX non-root mode; the VMM sees only VM exits.</summary>
    HardwareAssisted,

    /// <summary>The unmodified guest deprivileged to ring 1, every sensitive instruction a callout into the VMM (<c>bt</c>).</summary>
    BinaryTranslation,

    /// <summary>The guest rebuilt for the hypercall interface, its kernel in ring 1 (<c>pv</c>, Xen-style paravirtualization).</summary>
    Paravirtual,

    /// <summary>The guest deprivileged to ring 1 with trap-and-emulate only (<c>trap</c>): shows the Popek–Goldberg holes.</summary>
    TrapAndEmulate,
}

/// <summary>How the hardware-assisted backend virtualizes guest-physical memory.</summary>
public enum MemoryVirtualization
{
    /// <summary>EPT: the guest walks its own page tables; the VMM maps guest-physical pages on EPT violations.</summary>
    NestedPaging,

    /// <summary>No EPT (first-generation VT-x): CR3 loads and INVLPG exit, the VMM keeps shadow page tables.</summary>
    ShadowPaging,
}

/// <summary>Where the bt backend's translated code comes from.</summary>
public enum TranslationSource
{
    /// <summary>
    /// A build-time translation of the image if one is loaded, else the on-disk cache, else translate and compile now,
    /// before the guest runs (and store it): translated code from the first instruction. Code the translation does
    /// not cover runs on the interpreter with callouts.
    /// </summary>
    Cached,

    /// <summary>No translated code: every guest instruction runs on the interpreter, sensitive ones as callouts.</summary>
    InterpreterOnly,

    /// <summary>
    /// A build-time translation or the on-disk cache's if there is one (from the first instruction); else the guest
    /// starts at once on the interpreter, and once the run proves long (<see cref="VmOptions.TierUpInstructions"/>)
    /// the image is translated and compiled in the background, stored in the cache and swapped in at a block boundary.
    /// </summary>
    Tiered,
}

/// <summary>
/// Which tier runs the guest's instructions under native, hw, trap and pv (<c>--execution</c>); bt has its own
/// <see cref="TranslationSource"/>, whose <see cref="TranslationSource.Tiered"/> works the same way.
/// </summary>
public enum ExecutionTier
{
    /// <summary>The interpreter (with its block compiler); under pv every hypercall is an int 0x82 it executes (the reference).</summary>
    Interpreter,

    /// <summary>
    /// Translated code from the first instruction: the image translated by the binary-translation core (build time,
    /// disk cache, or now, before the guest runs); code the translation does not cover runs on the interpreter.
    /// </summary>
    Translated,

    /// <summary>
    /// The cache's translation from the first instruction if there is one; else the interpreter at once, and once the
    /// run proves long (<see cref="VmOptions.TierUpInstructions"/>) the image is translated and compiled in the
    /// background, stored in the cache and swapped in between two slices (docs/tiered-translation.md).
    /// </summary>
    Tiered,
}

/// <summary>
/// What compiles a tiered run's groups of hot code (<c>--tier-compiler</c>): both compile the same C# from the
/// binary-translation core, one emitter's output (docs/tiered-translation.md).
/// </summary>
public enum GroupCompiler
{
    /// <summary>
    /// In this process, the core's C# compiled straight to IL (dynamic methods) in milliseconds; the cache keeps the
    /// group's hot addresses, and the next run compiles them again at its start.
    /// </summary>
    DirectIl,

    /// <summary>A kept child process compiles the C# with Roslyn (seconds); the cache keeps the assembly for the next run.</summary>
    Roslyn,
}

/// <summary>Everything a <see cref="VirtualMachine"/> is built from besides the image.</summary>
public sealed record VmOptions
{
    public BackendKind Backend { get; init; } = BackendKind.Native;

    /// <summary>Guest RAM in MiB (QEMU's default is 128).</summary>
    public int MemoryMiB { get; init; } = 128;

    /// <summary>The run ends with exit code 6 after this many retired guest instructions.</summary>
    public ulong MaxInstructions { get; init; } = ulong.MaxValue;

    /// <summary>Block executions before the interpreter compiles a block (0 never, 1 always).</summary>
    public int CompileThreshold { get; init; } = new MachineOptions().CompileThreshold;

    /// <summary>bt: where translated code comes from.</summary>
    public TranslationSource Translation { get; init; } = TranslationSource.Tiered;

    /// <summary>
    /// Tiered runs (bt's <see cref="TranslationSource.Tiered"/>, the others' <see cref="ExecutionTier.Tiered"/>) with no
    /// translation ready: the retired instructions after which
    /// background translation starts. Compiling costs seconds of the other core and tens of MiB, which a short run
    /// never wins back on the interpreter's speed (about 300 MIPS: 20 million is some 70 ms of guest time).
    /// </summary>
    public ulong TierUpInstructions { get; init; } = 20_000_000;

    /// <summary>Tiered runs: what compiles the groups of hot code.</summary>
    public GroupCompiler GroupCompiler { get; init; } = GroupCompiler.DirectIl;

    /// <summary>
    /// native, hw, trap and pv: the interpreter, the binary-translation core's code (pv: with direct hypercalls; the
    /// others: sensitive instructions on the processor's own handlers), or the interpreter until that code is ready.
    /// </summary>
    public ExecutionTier Execution { get; init; } = ExecutionTier.Tiered;

    /// <summary>bt and translated pv: the translation cache's directory; null uses <c>TranslationCache.DefaultDirectory()</c>.</summary>
    public string? TranslationCacheDirectory { get; init; }

    public MemoryVirtualization Paging { get; init; } = MemoryVirtualization.NestedPaging;

    /// <summary>Optional devices (<c>--device isa-debugcon</c>, <c>--device pc-testdev</c>), on every backend alike.</summary>
    public Translator.Machine.Devices.PcDeviceOptions Devices { get; init; } = new();

    /// <summary>
    /// The kernel command line (<c>--append</c>): the multiboot cmdline QEMU's <c>-append</c> gives, or the PV start
    /// info's <c>cmd_line</c>; null gives none.
    /// </summary>
    public string? KernelCommandLine { get; init; }

    /// <summary>
    /// The processor's optional units (docs/sse.md, docs/x87.md) on every backend, pv included (its guests switch
    /// CR0.TS with the fpu_taskswitch hypercall); the default is the whole SIMD unit, <c>CpuFeatures.None</c> the
    /// i686 integer core alone.
    /// </summary>
    public Translator.Machine.Cpu.CpuFeatures CpuFeatures { get; init; } = Translator.Machine.Cpu.CpuFeatures.Default;

    public CostParameters Cost { get; init; } = CostParameters.Default;

    /// <summary>Receives the guest's COM1 bytes as they are written; when null they are collected into the result.</summary>
    public Action<byte>? Console { get; init; }

    /// <summary>The name the command line uses for a backend.</summary>
    public static string NameOf(BackendKind backend) => backend switch
    {
        BackendKind.HardwareAssisted => "hw",
        BackendKind.BinaryTranslation => "bt",
        BackendKind.TrapAndEmulate => "trap",
        BackendKind.Paravirtual => "pv",
        _ => "native",
    };

    /// <summary>The name the command line uses for an execution tier (<c>--execution</c>).</summary>
    public static string NameOf(ExecutionTier execution) => execution switch
    {
        ExecutionTier.Translated => "translated",
        ExecutionTier.Tiered => "tiered",
        _ => "interpreter",
    };

    /// <summary>The backend a command-line name selects, or null for an unknown name.</summary>
    public static BackendKind? Parse(string name) => name switch
    {
        "native" => BackendKind.Native,
        "hw" => BackendKind.HardwareAssisted,
        "bt" => BackendKind.BinaryTranslation,
        "trap" => BackendKind.TrapAndEmulate,
        "pv" => BackendKind.Paravirtual,
        _ => null,
    };
}
