using System.Reflection;
using System.Runtime;
using System.Runtime.CompilerServices;
using Iced.Intel;
using Translator.Machine.Loader;
using Translator.Machine.Translation;
using Translator.Tests.Shared;
using Translator.Vmm.Backends.Bt;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Vmm.Tests;

/// <summary>
/// The run-time host's persistent cache: a miss translates and stores, a hit loads without translating, a corrupt
/// entry or another translator version is rebuilt, recorded interpreter fallbacks reach the next translation, and a
/// cache that cannot be written costs only the cache.
/// </summary>
public sealed class TranslationCacheTests : IDisposable
{
    private readonly TemporaryDirectory _temporary = new("cache-test");

    private string _directory => _temporary.Path;

    public void Dispose() => _temporary.Dispose();

    /// <summary>A small image, distinct per <paramref name="seed"/> so tests never share a cache key or a registry entry.</summary>
    private static byte[] Image(uint seed) => MultibootImage.CountdownLoop(100 + seed, seed & 0x7F);

    private string EntryDirectory(byte[] image, string? version = null)
        => Path.Combine(_directory, TranslationCache.ImageHash(image), version ?? TranslationCache.CurrentVersion);

    [Fact]
    public void AMissTranslatesAndStoresAndTheNextProcessHits()
    {
        byte[] image = Image(1);

        LoadedTranslation miss = new TranslationCache(_directory).Load(image);
        LoadedTranslation hit = new TranslationCache(_directory).Load(image);

        Assert.Equal(TranslationOrigin.Translated, miss.Origin);
        Assert.True(miss.TranslateTime > TimeSpan.Zero && miss.CompileTime > TimeSpan.Zero);
        Assert.Equal(TranslationOrigin.DiskCache, hit.Origin);
        Assert.Equal(TimeSpan.Zero, hit.TranslateTime + hit.CompileTime);
        Assert.Equal(TranslationCache.ImageHash(image), hit.Image.ImageSha256);
        Assert.Equal(miss.Image.Regions.Select(r => r.LinearStart), hit.Image.Regions.Select(r => r.LinearStart));
        Assert.Equal(miss.Regions, hit.Regions);
        Assert.Equal(miss.Instructions, hit.Instructions);
        Assert.True(File.Exists(Path.Combine(EntryDirectory(image), "translation.cs")), "the C# is kept for people to read");
    }

    [Fact]
    public void AFreshTranslationIsPrecompiledAndAHitRunsItsNativeCode()
    {
        Assert.NotNull(ReadyToRunCompiler.ToolPath); // shipped beside the tool on linux-x64, so beside these tests
        byte[] image = Image(12);

        LoadedTranslation miss = new TranslationCache(_directory).Load(image);
        LoadedTranslation hit = new TranslationCache(_directory).Load(image);

        Assert.True(miss.Precompiled && miss.PrecompileTime > TimeSpan.Zero, string.Join("; ", miss.Warnings));
        Assert.Equal(TranslationOrigin.DiskCache, hit.Origin);
        Assert.True(hit.Precompiled);
        string native = Assert.Single(Directory.GetFiles(EntryDirectory(image), "translation.*.r2r.dll"));
        Assert.Equal(native, miss.Image.GetType().Assembly.Location);
        Assert.Equal(native, hit.Image.GetType().Assembly.Location);
        // The runtime uses a file's native code for its first load in a process only (a hit is the first in its
        // process; here the miss loaded the same file first).
        Assert.Equal(0, JitCompilationsToPrepare(miss.Image));
    }

    [Fact]
    public void WithoutAPrecompilerTheTranslationIsCompiledByTheJit()
    {
        byte[] image = Image(13);

        LoadedTranslation miss = new TranslationCache(_directory) { Precompiler = null }.Load(image);
        LoadedTranslation hit = new TranslationCache(_directory).Load(image);

        Assert.False(miss.Precompiled);
        Assert.Equal(TranslationOrigin.DiskCache, hit.Origin);
        Assert.False(hit.Precompiled, "an entry stored without native code stays IL");
        Assert.Empty(Directory.GetFiles(EntryDirectory(image), "*.r2r.dll"));
        Assert.True(JitCompilationsToPrepare(hit.Image) > 0, "each translated method is compiled by the JIT");
    }

    [Fact]
    public void AFailingPrecompilerCostsOnlyTheNativeCode()
    {
        byte[] image = Image(14);

        LoadedTranslation miss = new TranslationCache(_directory) { Precompiler = "/bin/false" }.Load(image);
        LoadedTranslation hit = new TranslationCache(_directory).Load(image);

        Assert.False(miss.Precompiled);
        Assert.Contains(miss.Warnings, w => w.Contains("precompiling it failed: crossgen2 exited with code 1", StringComparison.Ordinal));
        Assert.Equal(TranslationOrigin.DiskCache, hit.Origin);
        Assert.False(hit.Precompiled);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("empty")]
    public void ADamagedNativeImageIsNotUsed(string damage)
    {
        byte[] image = Image(damage == "flip" ? 15u : 16u);
        new TranslationCache(_directory).Load(image);
        string path = Assert.Single(Directory.GetFiles(EntryDirectory(image), "translation.*.r2r.dll"));
        byte[] bytes = File.ReadAllBytes(path);
        if (damage == "flip")
        {
            bytes[bytes.Length / 2] ^= 0x5A;
        }
        else
        {
            bytes = [];
        }

        File.WriteAllBytes(path, bytes);
        LoadedTranslation hit = new TranslationCache(_directory).Load(image);

        Assert.Equal(TranslationOrigin.DiskCache, hit.Origin);
        Assert.False(hit.Precompiled, "the IL of the entry runs instead");
        Assert.Equal(TranslationCache.ImageHash(image), hit.Image.ImageSha256);
    }

    [Fact]
    public void ANativeImageTheRuntimeRejectsLeavesTheILToRun()
    {
        byte[] image = Image(17);
        new TranslationCache(_directory).Load(image);
        string directory = EntryDirectory(image);
        string path = Assert.Single(Directory.GetFiles(directory, "translation.*.r2r.dll"));
        byte[] garbage = new byte[4096];
        new Random(17).NextBytes(garbage);
        string hash = TranslationCache.ImageHash(garbage); // the SHA-256 the manifest records
        string manifest = Path.Combine(directory, "translation.manifest");
        string text = File.ReadAllText(manifest);
        string old = text.Split('\n').Single(l => l.StartsWith("native-sha256=", StringComparison.Ordinal));
        File.Delete(path);
        File.WriteAllBytes(Path.Combine(directory, $"translation.{hash[..16]}.r2r.dll"), garbage);
        File.WriteAllText(manifest, text.Replace(old, "native-sha256=" + hash, StringComparison.Ordinal));

        LoadedTranslation hit = new TranslationCache(_directory).Load(image);

        Assert.Equal(TranslationOrigin.DiskCache, hit.Origin);
        Assert.False(hit.Precompiled);
        Assert.Contains(hit.Warnings, w => w.Contains("cannot be loaded", StringComparison.Ordinal));
        Assert.Equal(TranslationCache.ImageHash(image), hit.Image.ImageSha256);
    }

    /// <summary>How many methods the JIT compiles to make every translated method of <paramref name="image"/> ready to run.</summary>
    private static long JitCompilationsToPrepare(TranslatedImage image)
    {
        MethodInfo[] methods = image.GetType().GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
            .Where(m => m.Name.StartsWith("Region_", StringComparison.Ordinal))
            .ToArray();
        Assert.NotEmpty(methods);
        long before = JitInfo.GetCompiledMethodCount(currentThread: true);
        foreach (MethodInfo method in methods)
        {
            RuntimeHelpers.PrepareMethod(method.MethodHandle);
        }

        return JitInfo.GetCompiledMethodCount(currentThread: true) - before;
    }

    [Fact]
    public void OneCacheLoadsAnImageOnce()
    {
        var cache = new TranslationCache(_directory);
        byte[] image = Image(2);

        LoadedTranslation first = cache.Load(image), second = cache.Load(image);

        Assert.Same(first.Image, second.Image);
        Assert.Equal(TranslationOrigin.Reused, second.Origin);
        Assert.Equal(TimeSpan.Zero, second.TranslateTime + second.CompileTime + second.PrecompileTime);
    }

    [Theory]
    [InlineData("translation.dll", "flip")]
    [InlineData("translation.dll", "empty")]
    [InlineData("translation.manifest", "garbage")]
    [InlineData("translation.manifest", "empty")]
    public void ACorruptEntryIsIgnoredAndRebuilt(string file, string damage)
    {
        byte[] image = Image(3);
        new TranslationCache(_directory).Load(image);
        string path = Path.Combine(EntryDirectory(image), file);
        byte[] bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip":
                bytes[bytes.Length / 2] ^= 0x5A;
                break;
            case "garbage":
                new Random(5).NextBytes(bytes);
                break;
            default:
                bytes = [];
                break;
        }

        File.WriteAllBytes(path, bytes);

        LoadedTranslation rebuilt = new TranslationCache(_directory).Load(image);
        LoadedTranslation again = new TranslationCache(_directory).Load(image);

        Assert.Equal(TranslationOrigin.Translated, rebuilt.Origin);
        Assert.Equal(TranslationOrigin.DiskCache, again.Origin);
    }

    /// <summary>
    /// Tiered translation and the cache: with nothing ready the guest starts on the interpreter and the background
    /// compiler stores a group of the code that ran (here: where the guest was at the tier-up), so the next run starts
    /// with it; a damaged group is never loaded (a run starts interpreted again) and a translation rebuilds the code.
    /// </summary>
    [Theory]
    [InlineData("none")]
    [InlineData("translation.dll")]
    [InlineData("translation.manifest")]
    public void ATieredRunStoresWhatItCompiledAndADamagedEntryIsRebuilt(string damaged)
    {
        byte[] image = Image(9);
        var options = new VmOptions
        {
            Backend = BackendKind.BinaryTranslation, TierUpInstructions = 0, TranslationCacheDirectory = _directory, GroupCompiler = GroupCompiler.Roslyn,
        };
        VmRunResult first = VirtualMachine.Create(image, options).Run();
        Assert.Equal(0, first.Statistics.Events["bt.tier.startedAt"]); // tiering started at the first block boundary
        WaitForStoredTranslation(image);
        string group = Assert.Single(Directory.GetDirectories(Path.Combine(EntryDirectory(image), "groups")));
        Assert.False(File.Exists(Path.Combine(EntryDirectory(image), "translation.manifest")), "a group, not the whole image");
        if (damaged != "none")
        {
            string path = Path.Combine(group, damaged);
            byte[] bytes = File.ReadAllBytes(path);
            bytes[bytes.Length / 2] ^= 0x5A;
            File.WriteAllBytes(path, bytes);
            // What a tiered run of another process asks first: nothing is ready, so it starts interpreted.
            Assert.Null(new TranslationCache(_directory).TryLoadReady(image));
            Assert.Equal(TranslationOrigin.Translated, new TranslationCache(_directory).Load(image).Origin);
            WaitForStoredTranslation(image);
        }

        LoadedTranslation ready = new TranslationCache(_directory).TryLoadReady(image)!;
        Assert.Equal(TranslationOrigin.DiskCache, ready.Origin);
        Assert.Equal(damaged == "none" ? 1 : 0, ready.Groups); // after a whole translation, that is what loads
        VmRunResult next = VirtualMachine.Create(image, options).Run();
        Assert.Equal(first.ExitCode, next.ExitCode);
        Assert.Equal(first.Statistics.GuestInstructions, next.Statistics.GuestInstructions);
        Assert.Equal(1, next.Statistics.Events["bt.cache.hit"]); // the next run starts with the stored code
        Assert.True(next.Statistics.Events["bt.instructionsInRegions"] > 0, "it runs translated code");
    }

    /// <summary>
    /// The direct IL group compiler keeps no code in the cache: it records the hot addresses, and the next run compiles
    /// them as it starts (before any tier-up) and swaps them in; that run ends as the first did.
    /// </summary>
    [Fact]
    public void ATieredRunRecordsItsHotCodeAndTheNextRunCompilesItAtItsStart()
    {
        byte[] image = Image(10);
        var options = new VmOptions { Backend = BackendKind.BinaryTranslation, TierUpInstructions = 0, TranslationCacheDirectory = _directory };
        VmRunResult first = VirtualMachine.Create(image, options).Run();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (new TranslationCache(_directory).RecordedHot(image).Count == 0)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(3), "the background compiler recorded no hot code");
            Thread.Sleep(50);
        }

        Assert.False(Directory.Exists(Path.Combine(EntryDirectory(image), "groups")), "no compiled code is stored");
        Assert.Null(new TranslationCache(_directory).TryLoadReady(image));

        // Tier-ups far away: only the recorded group can be compiled, and it is, as the machine is made.
        VirtualMachine next = VirtualMachine.Create(image, options with { TierUpInstructions = ulong.MaxValue / 2 });
        AttachedTranslation attached = ((ITranslatingBackend)next.Backend).Translated;
        waited.Restart();
        while (!attached.SwapPending)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(3), $"the recorded group was not compiled ({attached.Problem})");
            Thread.Sleep(20);
        }

        VmRunResult run = next.Run();
        Assert.Equal(first.ExitCode, run.ExitCode);
        Assert.Equal(first.Statistics.GuestInstructions, run.Statistics.GuestInstructions);
        Assert.Equal(0, run.Statistics.Events["bt.tier.startedAt"]);
        Assert.Equal(1, run.Statistics.Events["bt.compile.directIl"]);
        Assert.True(run.Statistics.Events["bt.instructionsInRegions"] > 0, "it runs translated code");
    }

    /// <summary>Waits until a fresh cache instance (another process's view) finds the translation stored.</summary>
    private void WaitForStoredTranslation(byte[] image)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (new TranslationCache(_directory).TryLoadReady(image) is not null)
            {
                return;
            }

            Thread.Sleep(100);
        }

        throw new TimeoutException("the background compiler stored no translation");
    }

    [Fact]
    public void AnAssemblyThatIsNotATranslationIsIgnored()
    {
        byte[] image = Image(4);
        new TranslationCache(_directory).Load(image);
        string manifest = Path.Combine(EntryDirectory(image), "translation.manifest");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("type=", "type=No.Such", StringComparison.Ordinal));

        LoadedTranslation rebuilt = new TranslationCache(_directory).Load(image);

        Assert.Equal(TranslationOrigin.Translated, rebuilt.Origin);
        Assert.Contains(rebuilt.Warnings, w => w.Contains("ignored the cache entry", StringComparison.Ordinal));
    }

    [Fact]
    public void EntriesOfOldTranslatorVersionsArePrunedBeyondTheNewest()
    {
        byte[] image = Image(11);
        string[] versions = ["version-1", "version-2", "version-3", "version-4"];
        foreach (string version in versions)
        {
            new TranslationCache(_directory, version).Load(image);
            Thread.Sleep(20); // distinct write times
        }

        Assert.False(Directory.Exists(EntryDirectory(image, "version-1")), "the oldest version's entry is pruned");
        Assert.All(versions[1..], v => Assert.True(Directory.Exists(EntryDirectory(image, v)), v));
        Assert.Equal(TranslationOrigin.DiskCache, new TranslationCache(_directory, "version-2").Load(image).Origin);
    }

    [Fact]
    public void AnotherTranslatorVersionDoesNotUseTheEntry()
    {
        byte[] image = Image(5);
        new TranslationCache(_directory, "version-a").Load(image);

        LoadedTranslation other = new TranslationCache(_directory, "version-b").Load(image);
        LoadedTranslation first = new TranslationCache(_directory, "version-a").Load(image);

        Assert.Equal(TranslationOrigin.Translated, other.Origin);
        Assert.Equal(TranslationOrigin.DiskCache, first.Origin);
        Assert.True(Directory.Exists(EntryDirectory(image, "version-a")) && Directory.Exists(EntryDirectory(image, "version-b")));
    }

    [Fact]
    public void RecordedFallbacksReachTheNextTranslation()
    {
        byte[] image = Image(6);
        string sha = TranslationCache.ImageHash(image);
        LoadedTranslation before = new TranslationCache(_directory).Load(image);
        uint fallback = MultibootImage.EntryAddress + 5;

        Assert.Null(new TranslationCache(_directory).RecordFallbacks(sha, [fallback, fallback]));
        LoadedTranslation after = new TranslationCache(_directory).Load(image);
        LoadedTranslation cached = new TranslationCache(_directory).Load(image);

        Assert.Empty(before.EntryPoints);
        Assert.Equal(TranslationOrigin.Translated, after.Origin);
        Assert.Equal([fallback], after.EntryPoints);
        Assert.Equal(TranslationOrigin.DiskCache, cached.Origin);
        Assert.Equal([fallback], cached.EntryPoints);
        Assert.Equal([fallback], new TranslationCache(_directory).RecordedEntryPoints(sha));
    }

    [Fact]
    public void DeferredFallbacksKeepTheCachedTranslationAndJoinTheNextOne()
    {
        byte[] image = Image(13);
        string sha = TranslationCache.ImageHash(image);
        new TranslationCache(_directory).Load(image);
        uint deferred = MultibootImage.EntryAddress + 5, required = MultibootImage.EntryAddress + 7;

        Assert.Null(new TranslationCache(_directory).RecordFallbacks(sha, [deferred], deferred: true));
        LoadedTranslation stillCached = new TranslationCache(_directory).Load(image);
        Assert.Null(new TranslationCache(_directory).RecordFallbacks(sha, [required]));
        LoadedTranslation retranslated = new TranslationCache(_directory).Load(image);

        Assert.Equal(TranslationOrigin.DiskCache, stillCached.Origin);
        Assert.Empty(stillCached.EntryPoints);
        Assert.Equal(TranslationOrigin.Translated, retranslated.Origin);
        Assert.Equal([deferred, required], retranslated.EntryPoints);
    }

    /// <summary>
    /// A guest whose code after an indirect jump (which discovery cannot follow) runs <paramref name="hiddenLoops"/>
    /// times around a loop, after <paramref name="visibleLoops"/> around one discovery finds. Run under bt three
    /// times on one cache: the second run uses the first's translation when the interpreter ran under 1% of the
    /// instructions (a new image is translated once), and translates again with the fallback when it ran more. In
    /// one process a translation already loaded is reused (<c>bt.cache.reused</c>); across processes it is a disk hit.
    /// </summary>
    [Theory]
    [InlineData(200_000u, 10u, false)]
    [InlineData(10u, 200_000u, true)]
    public void ASecondRunRetranslatesOnlyWhenTheInterpreterMattered(uint visibleLoops, uint hiddenLoops, bool retranslates)
    {
        byte[] image = GuestWithHiddenCode(visibleLoops, hiddenLoops);
        var options = new VmOptions { Backend = BackendKind.BinaryTranslation, Translation = TranslationSource.Cached, TranslationCacheDirectory = _directory };
        VmRunResult[] runs = [.. Enumerable.Range(0, 3).Select(_ => VirtualMachine.Create(image, options).Run())];

        Assert.All(runs, r => Assert.Equal(1, r.ExitCode));
        Assert.Equal(1, runs[0].Statistics.Events["bt.cache.miss"]);
        Assert.True(runs[0].Statistics.Events["bt.interpreterFallbacks"] > 0, "the hidden code ran on the interpreter");
        Assert.Equal(1, runs[1].Statistics.Events.GetValueOrDefault(retranslates ? "bt.cache.miss" : "bt.cache.reused"));
        Assert.Equal(retranslates ? 0 : runs[0].Statistics.Events["bt.interpreterFallbacks"], runs[1].Statistics.Events["bt.interpreterFallbacks"]);
        Assert.Equal(1, runs[2].Statistics.Events.GetValueOrDefault("bt.cache.reused"));
        Assert.Equal(0, runs[2].Statistics.Times.TranslateSeconds + runs[2].Statistics.Times.CompileSeconds);
        Assert.Equal(retranslates, runs[1].Statistics.Times.CompileSeconds > 0);
        Assert.Equal(TranslationOrigin.DiskCache, new TranslationCache(_directory).Load(image).Origin); // another process: from disk
    }

    private static byte[] GuestWithHiddenCode(uint visibleLoops, uint hiddenLoops)
    {
        (byte[] code, uint hidden) Assemble(uint target)
        {
            var a = new Assembler(32);
            Label visible = a.CreateLabel(), hiddenStart = a.CreateLabel(), hiddenLoop = a.CreateLabel();
            a.mov(ecx, visibleLoops);
            a.Label(ref visible);
            a.dec(ecx);
            a.jnz(visible);
            a.mov(eax, target);
            a.jmp(eax);
            a.db(0xFF, 0xFF, 0xFF, 0xFF); // not code: a linear sweep stops here
            a.Label(ref hiddenStart);
            a.mov(ecx, hiddenLoops);
            a.Label(ref hiddenLoop);
            a.dec(ecx);
            a.jnz(hiddenLoop);
            MultibootImage.EmitExit(a, 0);
            a.hlt();
            using var stream = new MemoryStream();
            AssemblerResult result = a.Assemble(new StreamCodeWriter(stream), MultibootImage.EntryAddress, BlockEncoderOptions.ReturnNewInstructionOffsets);
            return (stream.ToArray(), (uint)result.GetLabelRIP(hiddenStart));
        }

        uint address = Assemble(0).hidden; // mov eax, imm32 has one size: the second pass lays out the same
        return MultibootImage.Wrap(Assemble(address).code);
    }

    [Fact]
    public void ACacheThatCannotBeWrittenCostsOnlyTheCache()
    {
        File.WriteAllText(_directory, "a file where the cache directory should be");
        try
        {
            byte[] image = Image(7);
            LoadedTranslation loaded = new TranslationCache(_directory).Load(image);

            Assert.Equal(TranslationOrigin.Translated, loaded.Origin);
            Assert.Contains(loaded.Warnings, w => w.Contains("cannot write the translation cache entry", StringComparison.Ordinal));
            Assert.NotNull(new TranslationCache(_directory).RecordFallbacks(loaded.Image.ImageSha256, [0x100000u]));
        }
        finally
        {
            File.Delete(_directory);
        }
    }

    [Fact]
    public void AnImageTheTranslatorRejectsIsAnInvalidImage()
    {
        Assert.Throws<InvalidImageException>(() => new TranslationCache(_directory).Load(new byte[64]));
    }

    [Fact]
    public void ABuildTimeTranslationComesFirst()
    {
        byte[] image = Image(8);
        var builtIn = new EmptyTranslation(TranslationCache.ImageHash(image));
        TranslationRegistry.Register(builtIn);

        LoadedTranslation loaded = new TranslationCache(_directory).Load(image);

        Assert.Equal(TranslationOrigin.BuildTime, loaded.Origin);
        Assert.Same(builtIn, loaded.Image);
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public void TheDefaultDirectoryFollowsTheEnvironment()
    {
        string? saved = Environment.GetEnvironmentVariable(TranslationCache.DirectoryVariable);
        try
        {
            Environment.SetEnvironmentVariable(TranslationCache.DirectoryVariable, _directory);
            Assert.Equal(_directory, TranslationCache.DefaultDirectory());
            Environment.SetEnvironmentVariable(TranslationCache.DirectoryVariable, null);
            Assert.EndsWith(Path.Combine("", "translator"), TranslationCache.DefaultDirectory(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(TranslationCache.DirectoryVariable, saved);
        }
    }

    /// <summary>A registry entry standing for a build-time translation (the registry is what is under test).</summary>
    private sealed class EmptyTranslation(string sha) : TranslatedImage
    {
        public override string ImageSha256 => sha;

        public override IReadOnlyList<TranslatedRegion> Regions => [];
    }
}
