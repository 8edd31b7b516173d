using Fabric.Dataplane.Native;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// Runs a measurement on a fresh thread pinned to one core (or unpinned, with the reason kept), at a raised
/// priority: every side of the comparison (direct, channel guest and AC, sidecar and its client) gets the
/// same nice value, so other work on a shared 2-core machine skews the comparison less.
/// </summary>
internal static class Pinned
{
    public const int Nice = -10;

    public static T Run<T>(int core, Func<T> body, out string pinMessage)
    {
        T result = default!;
        Exception? error = null;
        string? message = null;
        var thread = new Thread(() =>
        {
            message = PinHere(core);
            try
            {
                result = body();
            }
            catch (Exception e)
            {
                error = e;
            }
        }) { IsBackground = true, Name = "bench-core-" + core };
        thread.Start();
        thread.Join();
        pinMessage = message ?? "not started";
        if (error is not null)
        {
            throw new InvalidOperationException("measurement failed: " + error.Message, error);
        }
        return result;
    }

    /// <summary>Pins the calling thread (child processes pin their main thread).</summary>
    public static string PinHere(int core)
    {
        var pin = ThreadAffinity.PinCurrentThread(core) ?? $"pinned to core {core}";
        var nice = ThreadAffinity.SetCurrentThreadNice(Nice);
        return nice is null ? $"{pin}, nice {Nice}" : $"{pin}; {nice}";
    }

    /// <summary>The two cores the bench uses: the guest/client on the first, the AC/sidecar/direct on the last.</summary>
    public static (int Guest, int Ac) Cores => (0, Math.Max(0, Environment.ProcessorCount - 1));
}
