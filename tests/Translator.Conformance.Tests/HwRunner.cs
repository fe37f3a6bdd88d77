using Translator.Vmm;

namespace Translator.Conformance.Tests;

/// <summary>Runs an image on a VMM backend in-process, as <c>translator run IMAGE --backend hw|bt|trap</c> does.</summary>
public static class HwRunner
{
    public static NativeRunner.Outcome Run(string imagePath, MemoryVirtualization paging, NativeRunner.Tier tier = NativeRunner.Tier.Default,
        ulong maxInstructions = 2_000_000_000) => Run(imagePath, BackendKind.HardwareAssisted, paging, tier, maxInstructions);

    /// <summary>Runs an image on any VMM backend (<c>bt</c>, <c>trap</c>: their memory is always shadow-paged).</summary>
    public static NativeRunner.Outcome Run(string imagePath, BackendKind backend, MemoryVirtualization paging = MemoryVirtualization.ShadowPaging,
        NativeRunner.Tier tier = NativeRunner.Tier.Default, ulong maxInstructions = 2_000_000_000,
        TranslationSource translation = TranslationSource.Cached)
    {
        var vm = VirtualMachine.Create(File.ReadAllBytes(imagePath), new VmOptions
        {
            Backend = backend,
            Paging = paging,
            Translation = translation,
            MaxInstructions = maxInstructions,
            CompileThreshold = tier switch
            {
                NativeRunner.Tier.InterpretOnly => 0,
                NativeRunner.Tier.CompileAll => 1,
                _ => new VmOptions().CompileThreshold,
            },
        });
        if (vm.Backend is Translator.Vmm.Backends.Bt.BinaryTranslationBackend { TranslationProblem: { } problem })
        {
            throw new InvalidOperationException($"{imagePath}: the translation was not usable: {problem}");
        }

        VmRunResult run = vm.Run();
        return new NativeRunner.Outcome(run.Console, run.ExitCode, run.Result, run.Statistics.GuestInstructions);
    }
}
