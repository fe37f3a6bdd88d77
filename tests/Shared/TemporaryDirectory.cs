namespace Translator.Tests.Shared;

/// <summary>A directory of its own under the system's temporary folder for one test class instance, removed on dispose.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"translator-{purpose}-{Guid.NewGuid():N}");
    }

    /// <summary>The directory's path; it is not created until someone writes there.</summary>
    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
