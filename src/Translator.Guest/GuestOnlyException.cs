using System;

namespace Translator.Guest;

/// <summary>
/// Thrown when .NET code calls an intrinsic that only has a meaning inside a guest (port I/O, control registers, …).
/// Pure guest methods (arithmetic, arrays) run unchanged as .NET code; privileged ones do not.
/// </summary>
public sealed class GuestOnlyException : InvalidOperationException
{
    public GuestOnlyException(string intrinsic)
        : base($"{intrinsic} is a guest intrinsic: it only runs inside a kernel image built by the kernel compiler")
    {
    }

    internal static GuestOnlyException For(string intrinsic) => new(intrinsic);
}
