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

    /// <summary>The group of the method holding the image's entry (the loop is in it).</summary>
    private static readonly uint[] s_hot = [MultibootImage.EntryAddress];

    [Fact]
    public void TheCompileProcessStoresTheGroupTheGuestsProcessLoads()
    {
        byte[] image = Image((uint)Environment.ProcessId % 1000);
        LoadedTranslation loaded = WithWorker(["dotnet", Path.Combine(AppContext.BaseDirectory, "translator.dll")],
            () => new TranslationCache(_directory).LoadGroupInBackground(image, s_hot)!);

        Assert.True(loaded.CompiledOutOfProcess, loaded.InProcessBecause);
        Assert.Null(loaded.InProcessBecause);
        Assert.Equal(TranslationOrigin.Translated, loaded.Origin);
        Assert.Equal(1, loaded.Groups);
        Assert.True(loaded.Regions > 0);
        Assert.True(loaded.CompileProcessPeakBytes > 10 << 20, "the child reports its own peak resident memory");
        Assert.True(loaded.Worker!.Parse > TimeSpan.Zero && loaded.Worker.SourceBytes > 0, "the child says where its time went");
        LoadedTranslation next = new TranslationCache(_directory).TryLoadReady(image)!;
        Assert.Equal((TranslationOrigin.DiskCache, 1, loaded.Regions), (next.Origin, next.Groups, next.Regions));
    }

    [Fact]
    public void AGroupOfNothingTranslatableIsNone()
    {
        byte[] image = Image(2000 + (uint)Environment.ProcessId % 1000);
        Assert.Null(WithWorker(["dotnet", Path.Combine(AppContext.BaseDirectory, "translator.dll")],
            () => new TranslationCache(_directory).LoadGroupInBackground(image, [0x0050_0000])));
        Assert.Null(new TranslationCache(_directory).TryLoadReady(image));
    }

    [Fact]
    public void WhenTheCompileProcessCannotStartTheGuestsProcessCompilesAndSaysWhy()
    {
        byte[] image = Image(1000 + (uint)Environment.ProcessId % 1000);
        LoadedTranslation loaded = WithWorker([Path.Combine(_directory, "no-such-translator")],
            () => new TranslationCache(_directory).LoadGroupInBackground(image, s_hot)!);

        Assert.False(loaded.CompiledOutOfProcess);
        Assert.Equal(TranslationOrigin.Translated, loaded.Origin);
        Assert.Contains("could not start", loaded.InProcessBecause);
    }

    [Fact]
    public void ARunsLaterGroupsGoToTheProcessKeptForItsImage()
    {
        byte[] image = Image(3000 + (uint)Environment.ProcessId % 1000);
        IReadOnlyList<string> tool = ["dotnet", Path.Combine(AppContext.BaseDirectory, "translator.dll")];
        LoadedTranslation first = WithWorker(tool, () => new TranslationCache(_directory).LoadGroupInBackground(image, s_hot)!);
        LoadedTranslation second = WithWorker(tool, () => new TranslationCache(_directory).LoadGroupInBackground(image, s_hot)!);

        Assert.True(first.CompiledOutOfProcess && second.CompiledOutOfProcess, first.InProcessBecause ?? second.InProcessBecause);
        Assert.Equal(first.Worker!.ProcessId, second.Worker!.ProcessId);
        Assert.Equal((1, 2), (first.Worker.Request, second.Worker.Request));
        Assert.True(first.Worker.Started > TimeSpan.Zero, "the first group reports the process's start");
        Assert.Equal(TimeSpan.Zero, second.Worker.Started);
    }

    [Fact]
    public void AKeptProcessThatEndedIdleIsStartedAgainForTheNextGroup()
    {
        byte[] image = Image(4000 + (uint)Environment.ProcessId % 1000);
        IReadOnlyList<string> tool = ["dotnet", Path.Combine(AppContext.BaseDirectory, "translator.dll")];
        TimeSpan saved = TranslationWorker.IdleTimeout;
        TranslationWorker.IdleTimeout = TimeSpan.FromSeconds(0.5);
        try
        {
            LoadedTranslation first = WithWorker(tool, () => new TranslationCache(_directory).LoadGroupInBackground(image, s_hot)!);
            Thread.Sleep(TimeSpan.FromSeconds(3)); // the kept process ends after 0.5 s without a group
            LoadedTranslation second = WithWorker(tool, () => new TranslationCache(_directory).LoadGroupInBackground(image, s_hot)!);

            Assert.True(second.CompiledOutOfProcess, second.InProcessBecause);
            Assert.NotEqual(first.Worker!.ProcessId, second.Worker!.ProcessId);
            Assert.Equal(1, second.Worker.Request);
        }
        finally
        {
            TranslationWorker.IdleTimeout = saved;
        }
    }

    [Fact]
    public void TheKeptProcessAnswersABadRequestAndGoesOn()
    {
        byte[] image = Image(5000);
        using var input = new MemoryStream();
        input.Write(System.Text.Encoding.ASCII.GetBytes($"{image.Length}\n"));
        input.Write(image);
        input.Write("zz,1\n\n,,\n"u8);
        input.Position = 0;
        var output = new StringWriter();

        TranslationWorker.Serve(input, _directory, TimeSpan.FromSeconds(10), output);

        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.StartsWith("! ", line));
        Assert.Contains("'zz,1' is not a list of hexadecimal addresses", lines[0]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("x\n")]
    [InlineData("0\n")]
    [InlineData("100\nshort")]
    public void TheKeptProcessRefusesInputThatIsNotAnImage(string text)
    {
        using var input = new MemoryStream(System.Text.Encoding.ASCII.GetBytes(text));
        Assert.Throws<Translator.Machine.Loader.InvalidImageException>(() => TranslationWorker.Serve(input, _directory, TimeSpan.FromSeconds(1), new StringWriter()));
    }

    /// <summary>Runs <paramref name="load"/> with <paramref name="command"/> as the compile process's command line.</summary>
    private static T WithWorker<T>(IReadOnlyList<string> command, Func<T> load)
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
