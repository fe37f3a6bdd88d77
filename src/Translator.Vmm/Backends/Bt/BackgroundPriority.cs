using System.Runtime.InteropServices;

namespace Translator.Vmm.Backends.Bt;

/// <summary>
/// Lowers the calling thread's scheduling priority (Linux: its nice value; a thread's own on Linux, inherited by
/// processes it starts, such as crossgen2), so background compiling yields the processor to the guest's thread on a
/// busy machine. .NET's <c>Thread.Priority</c> changes nothing on Linux for an unprivileged process.
/// </summary>
internal static partial class BackgroundPriority
{
    private const int ProcessPriority = 0; // PRIO_PROCESS: with a thread id, that thread alone
    private const int Nice = 10;

    public static void Lower()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            // Only ever lower: a thread (or a compile process) of a run started under nice 19 stays at 19, even as root.
            int thread = GetThreadId();
            int current = GetPriority(ProcessPriority, thread); // -1 is also an error's answer: then 10 is set, as before
            _ = SetPriority(ProcessPriority, thread, Math.Max(current, Nice)); // a failure leaves the priority as it was
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // An unusual libc: the compile runs at normal priority.
        }
    }

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "getpriority")]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
