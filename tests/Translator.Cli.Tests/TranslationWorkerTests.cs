using Translator.Tests.Shared;
using Translator.Vmm.Backends.Bt;
using Xunit;

namespace Translator.Cli.Tests;

/// <summary>
/// A tiered run's compile process (the hidden <c>compile-translation-worker</c> command): it stores the cache entry
/// the guest's process then loads, so that process never holds the compiler; when it cannot start, the guest's
/// process compiles after all and says why.
/// </summary>
public sealed class TranslationWorkerTests : IDisposable
{
    private readonly TemporaryDirectory _temporary = new("worker");

    private string _directory => _temporary.Path;

    public void Dispose() => _temporary.Dispose();

    /// <summary>A small image, distinct per <paramref name="seed"/> so tests never share a cache key.</summary>
    private static byte[] Image(uint seed) => MultibootImage.CountdownLoop(1000 + seed, 0);

    [Fact]
    public void TheCompileProcessStoresTheEntryTheGuestsProcessLoads()
    {
        byte[] image = Image((uint)Environment.ProcessId % 1000);
        LoadedTranslation loaded = WithWorker(["dotnet", Path.Combine(AppContext.BaseDirectory, "translator.dll")],
            () => new TranslationCache(_directory).LoadInBackground(image));

        Assert.True(loaded.CompiledOutOfProcess, loaded.InProcessBecause);
        Assert.Null(loaded.InProcessBecause);
        Assert.Equal(TranslationOrigin.Translated, loaded.Origin);
        Assert.True(loaded.Regions > 0);
        Assert.True(loaded.CompileProcessPeakBytes > 10 << 20, "the child reports its own peak resident memory");
        Assert.Equal(TranslationOrigin.DiskCache, new TranslationCache(_directory).TryLoadReady(image)!.Origin);
    }

    [Fact]
    public void WhenTheCompileProcessCannotStartTheGuestsProcessCompilesAndSaysWhy()
    {
        byte[] image = Image(1000 + (uint)Environment.ProcessId % 1000);
        LoadedTranslation loaded = WithWorker([Path.Combine(_directory, "no-such-translator")],
            () => new TranslationCache(_directory).LoadInBackground(image));

        Assert.False(loaded.CompiledOutOfProcess);
        Assert.Equal(TranslationOrigin.Translated, loaded.Origin);
        Assert.Contains("could not start", loaded.InProcessBecause);
    }

    private static LoadedTranslation WithWorker(IReadOnlyList<string> command, Func<LoadedTranslation> load)
    {
        IReadOnlyList<string>? saved = TranslationWorker.Command;
        TranslationWorker.Command = command;
        try
        {
            return load();
        }
        finally
        {
            TranslationWorker.Command = saved;
        }
    }
}
