using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Native;

/// <summary>Pins the calling thread to one CPU with sched_setaffinity (Linux).</summary>
internal static unsafe partial class ThreadAffinity
{
    private const int EPERM = 1;
    private const int EINVAL = 22;

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nint cpuSetSize, ulong* mask);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    private static partial int SchedGetCpu();

    /// <summary>Pins the calling thread; returns null on success or a sentence saying why not.</summary>
    public static string? PinCurrentThread(int core)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not pinned: thread pinning is implemented for Linux only";
        }
        if (core < 0 || core >= 1024)
        {
            return $"not pinned: core {core} is outside [0, 1024)";
        }
        var mask = stackalloc ulong[16];
        new Span<ulong>(mask, 16).Clear();
        mask[core / 64] = 1UL << (core % 64);
        try
        {
            // pid 0 = the calling thread.
            if (SchedSetAffinity(0, 16 * sizeof(ulong), mask) == 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return "not pinned: sched_setaffinity not found in libc";
        }
        catch (DllNotFoundException)
        {
            return "not pinned: libc not found";
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            EINVAL => $"not pinned: core {core} is not available to this process (errno EINVAL); pick one of the {Environment.ProcessorCount} CPUs the process may use",
            EPERM => $"not pinned: not permitted to set the affinity (errno EPERM)",
            _ => $"not pinned: sched_setaffinity failed with errno {errno}",
        };
    }

    /// <summary>
    /// Sets the nice value of the calling thread (Linux threads have their own); returns null on success
    /// or a sentence saying why not. Negative values need CAP_SYS_NICE.
    /// </summary>
    public static string? SetCurrentThreadNice(int nice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "priority unchanged: implemented for Linux only";
        }
        try
        {
            const int PRIO_PROCESS = 0;
            if (SetPriority(PRIO_PROCESS, GetTid(), nice) == 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return "priority unchanged: setpriority/gettid not found in libc";
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno is EPERM or 13
            ? $"priority unchanged: not permitted to set nice {nice} (needs CAP_SYS_NICE)"
            : $"priority unchanged: setpriority failed with errno {errno}";
    }

    /// <summary>The CPU the calling thread runs on now, or -1 where unknown.</summary>
    public static int CurrentCpu()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }
        try
        {
            return SchedGetCpu();
        }
        catch (EntryPointNotFoundException)
        {
            return -1;
        }
    }
}
