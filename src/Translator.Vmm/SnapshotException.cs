namespace Translator.Vmm;

/// <summary>
/// A snapshot that cannot be used: not a snapshot, corrupt or truncated, of another format version, or a state the
/// chosen technique cannot represent. The message says which, in one sentence; the command line exits 2 with it.
/// </summary>
public sealed class SnapshotException : Exception
{
    public SnapshotException(string message)
        : base(message)
    {
    }

    public SnapshotException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public SnapshotException()
    {
    }
}
