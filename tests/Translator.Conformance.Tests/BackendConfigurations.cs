using Translator.Vmm;

namespace Translator.Conformance.Tests;

/// <summary>
/// The backend configurations the cross-backend tests name: <c>native</c> (compiled tier), <c>native-interpreter</c>,
/// <c>hw-ept</c>, <c>hw-shadow</c>, <c>bt</c> (its interpreter-only source, so no compile time) and <c>trap</c>;
/// <c>native-translated</c>, <c>hw-ept-translated</c>, <c>hw-shadow-translated</c> and <c>trap-translated</c> run the binary-translation
/// core's code (translated on first use in the process, then from the translation cache).
/// </summary>
internal static class BackendConfigurations
{
    public const ulong DefaultBudget = 50_000_000;

    public static VmOptions Options(string configuration, Action<byte> console, ulong maxInstructions = DefaultBudget) => new()
    {
        Backend = configuration switch
        {
            "hw-ept" or "hw-shadow" or "hw-ept-translated" or "hw-shadow-translated" => BackendKind.HardwareAssisted,
            "bt" => BackendKind.BinaryTranslation,
            "trap" or "trap-translated" => BackendKind.TrapAndEmulate,
            _ => BackendKind.Native,
        },
        Paging = configuration.StartsWith("hw-ept", StringComparison.Ordinal) ? MemoryVirtualization.NestedPaging : MemoryVirtualization.ShadowPaging,
        Translation = TranslationSource.InterpreterOnly,
        Execution = configuration.EndsWith("-translated", StringComparison.Ordinal) ? ExecutionTier.Translated : ExecutionTier.Interpreter,
        CompileThreshold = configuration == "native-interpreter" ? 0 : new VmOptions().CompileThreshold,
        MaxInstructions = maxInstructions,
        Console = console,

        // The CMOS clock's start fixed, so that runs compared with each other (and their snapshots) hold the same time.
        Devices = new() { RtcBase = new DateTimeOffset(2026, 12, 7, 12, 34, 56, TimeSpan.Zero) },
    };
}
