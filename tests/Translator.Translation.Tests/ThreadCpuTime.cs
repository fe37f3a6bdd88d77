using System.Runtime.InteropServices;

namespace Translator.Translation.Tests;

/// <summary>CPU time of the calling thread (getrusage RUSAGE_THREAD): a measure that other load on the host does not inflate.</summary>
public static class ThreadCpuTime
{
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 14)]
        public long[] Rest;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out RUsage usage);

    public static double Seconds()
    {
        if (!OperatingSystem.IsLinux() || getrusage(1, out RUsage u) != 0)
        {
            return double.NaN;
        }

        return u.UserSeconds + u.SystemSeconds + (u.UserMicroseconds + u.SystemMicroseconds) / 1e6;
    }
}
