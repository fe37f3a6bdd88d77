using Translator.Vmm;

namespace Translator.Conformance.Tests;

/// <summary>
/// The backend configurations the cross-backend tests name: <c>native</c> (compiled tier), <c>native-interpreter</c>,
/// <c>hw-ept</c>, <c>hw-shadow</c>, <c>bt</c> (its interpreter-only source, so no compile time) and <c>trap</c>.
/// </summary>
internal static class BackendConfigurations
{
    public const ulong DefaultBudget = 50_000_000;

    public static VmOptions Options(string configuration, Action<byte> console, ulong maxInstructions = DefaultBudget) => new()
    {
        Backend = configuration switch
        {
            "hw-ept" or "hw-shadow" => BackendKind.HardwareAssisted,
            "bt" => BackendKind.BinaryTranslation,
            "trap" => BackendKind.TrapAndEmulate,
            _ => BackendKind.Native,
        },
        Paging = configuration == "hw-ept" ? MemoryVirtualization.NestedPaging : MemoryVirtualization.ShadowPaging,
        Translation = TranslationSource.InterpreterOnly,
        CompileThreshold = configuration == "native-interpreter" ? 0 : new VmOptions().CompileThreshold,
        MaxInstructions = maxInstructions,
        Console = console,
    };
}
