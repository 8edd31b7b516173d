using System.Runtime.InteropServices;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// Ends a child process of the bench (the guest, the sidecar) once the bench is gone: a bench killed or interrupted
/// before it could stop its children left its guest busy-polling a core for good (one ran on at 94% of a core with its
/// parent gone). Checked every quarter second on a thread of its own, off the child's pinned loop.
/// </summary>
internal static partial class ParentWatch
{
    public static void Start()
    {
        var parent = getppid();
        if (parent <= 1)
        {
            Exit();
        }
        var thread = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(250);
                if (getppid() != parent)
                {
                    Exit();
                }
            }
        })
        {
            IsBackground = true,
            Name = "parent-watch",
        };
        thread.Start();
    }

    private static void Exit()
    {
        Console.Error.WriteLine("fabric-bench: the bench that started this process is gone; stopping");
        Environment.Exit(3);
    }

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int getppid();
}
