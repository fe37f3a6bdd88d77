namespace Translator.Translation.Generator.Tests;

/// <summary>A test class with its own translation-cache directory, deleted afterwards.</summary>
public abstract class TemporaryCache : IDisposable
{
    protected string CacheDirectory { get; } = Path.Combine(Path.GetTempPath(), $"translator-cache-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(CacheDirectory))
        {
            Directory.Delete(CacheDirectory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
