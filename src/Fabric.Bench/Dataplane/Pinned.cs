using Fabric.Dataplane.Native;

namespace Fabric.Bench.Dataplane;

/// <summary>Runs a measurement on a fresh thread pinned to one core (or unpinned, with the reason kept).</summary>
internal static class Pinned
{
    public static T Run<T>(int core, Func<T> body, out string pinMessage)
    {
        T result = default!;
        Exception? error = null;
        string? message = null;
        var thread = new Thread(() =>
        {
            message = ThreadAffinity.PinCurrentThread(core) ?? $"pinned to core {core}";
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
    public static string PinHere(int core) => ThreadAffinity.PinCurrentThread(core) ?? $"pinned to core {core}";

    /// <summary>The two cores the bench uses: the guest/client on the first, the AC/sidecar/direct on the last.</summary>
    public static (int Guest, int Ac) Cores => (0, Math.Max(0, Environment.ProcessorCount - 1));
}
