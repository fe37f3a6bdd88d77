using Translator.Vmm;

namespace Translator.Conformance.Tests;

/// <summary>Runs an image on a VMM backend in-process, as <c>translator run IMAGE --backend hw|bt|trap</c> does.</summary>
public static class HwRunner
{
    public static NativeRunner.Outcome Run(string imagePath, MemoryVirtualization paging, NativeRunner.Tier tier = NativeRunner.Tier.Default,
        ulong maxInstructions = 2_000_000_000, ExecutionTier execution = ExecutionTier.Interpreter) =>
        Run(imagePath, BackendKind.HardwareAssisted, paging, tier, maxInstructions, execution: execution);

    /// <summary>
    /// Runs an image on any backend (<c>bt</c>, <c>trap</c>: their memory is always shadow-paged); native and hw run
    /// the binary-translation core's code with <paramref name="execution"/> translated.
    /// </summary>
    public static NativeRunner.Outcome Run(string imagePath, BackendKind backend, MemoryVirtualization paging = MemoryVirtualization.ShadowPaging,
        NativeRunner.Tier tier = NativeRunner.Tier.Default, ulong maxInstructions = 2_000_000_000,
        TranslationSource translation = TranslationSource.Cached, ExecutionTier execution = ExecutionTier.Interpreter)
    {
        var vm = VirtualMachine.Create(File.ReadAllBytes(imagePath), new VmOptions
        {
            Backend = backend,
            Paging = paging,
            Translation = translation,
            Execution = execution,
            MaxInstructions = maxInstructions,
            CompileThreshold = tier switch
            {
                NativeRunner.Tier.InterpretOnly => 0,
                NativeRunner.Tier.CompileAll => 1,
                _ => new VmOptions().CompileThreshold,
            },
        });
        if (vm.Backend is Translator.Vmm.Backends.Bt.ITranslatingBackend { Translated.Problem: { } problem })
        {
            throw new InvalidOperationException($"{imagePath}: the translation was not usable: {problem}");
        }

        VmRunResult run = vm.Run();
        if (execution == ExecutionTier.Translated && run.Statistics.Events.GetValueOrDefault("bt.instructionsInRegions") == 0)
        {
            throw new InvalidOperationException($"{imagePath}: no instruction ran in translated code under {backend}");
        }

        return new NativeRunner.Outcome(run.Console, run.ExitCode, run.Result, run.Statistics.GuestInstructions);
    }
}
