using System.Text;

namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// DPDK's EAL for this process. rte_eal_init runs once per process, successful or not, so the first
/// <see cref="TryStart"/> decides for the process's whole life; later calls report that outcome.
/// </summary>
public static class DpdkEal
{
    private static readonly Lock s_lock = new();
    private static string? s_startedWith;
    private static string? s_failure;

    /// <summary>True once EAL runs in this process.</summary>
    public static bool IsRunning => Volatile.Read(ref s_startedWith) is not null;

    /// <summary>Why EAL is not running, after a failed start; null otherwise.</summary>
    public static string? Failure => Volatile.Read(ref s_failure);

    /// <summary>
    /// Starts EAL with <paramref name="options"/>. False with a one-line <paramref name="reason"/> when it cannot
    /// (no shim: Fabric was built without DPDK; EAL refused its arguments or memory; already started).
    /// </summary>
    public static bool TryStart(DpdkEalOptions options, out string reason)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (s_lock)
        {
            if (s_startedWith is not null)
            {
                reason = $"EAL is already running in this process (started with: {s_startedWith}); rte_eal_init runs once per process";
                return false;
            }
            if (s_failure is not null)
            {
                reason = s_failure;
                return false;
            }
            var args = options.ToArguments();
            var line = string.Join(' ', args.Skip(1));
            if (!TryInit(args, out reason))
            {
                Volatile.Write(ref s_failure, $"DPDK is unavailable: {reason} (EAL arguments: {line})");
                reason = s_failure!;
                return false;
            }
            Volatile.Write(ref s_startedWith, line);
            reason = "";
            return true;
        }
    }

    private static unsafe bool TryInit(IReadOnlyList<string> args, out string reason)
    {
        // argv as UTF-8 strings in one block; the shim copies them (EAL keeps pointers into its argv).
        var offsets = new int[args.Count];
        var bytes = new List<byte>();
        for (var i = 0; i < args.Count; i++)
        {
            offsets[i] = bytes.Count;
            bytes.AddRange(Encoding.UTF8.GetBytes(args[i]));
            bytes.Add(0);
        }
        var block = bytes.ToArray();
        var err = stackalloc byte[DpdkNative.ErrorLength];
        err[0] = 0;
        try
        {
            fixed (byte* b = block)
            {
                var argv = stackalloc byte*[args.Count];
                for (var i = 0; i < args.Count; i++)
                {
                    argv[i] = b + offsets[i];
                }
                var rc = DpdkNative.EalInit(args.Count, argv, err, DpdkNative.ErrorLength);
                reason = rc == DpdkNative.Ok ? "" : DpdkNative.Text(err);
                return rc == DpdkNative.Ok;
            }
        }
        catch (DllNotFoundException e)
        {
            // Either the build found no DPDK (no shim beside the program) or DPDK's libraries are gone at run time.
            reason = "libfabric_dpdk.so could not be loaded (" + LoadError(e.Message) + "); install DPDK (apt-get install dpdk-dev pkg-config) and rebuild Fabric";
            return false;
        }
        catch (EntryPointNotFoundException e)
        {
            reason = "libfabric_dpdk.so is out of date (" + FirstLine(e.Message) + "); rebuild Fabric";
            return false;
        }
    }

    /// <summary>The runtime's text opens with generic advice; the dlerror lines after it (one per path tried) say what failed.</summary>
    private static string LoadError(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // The program's own folder is where the build puts the shim, so that attempt is the one worth showing.
        var beside = lines.FirstOrDefault(l => l.StartsWith(AppContext.BaseDirectory, StringComparison.Ordinal));
        return beside ?? (lines.Length > 1 ? lines[1] : FirstLine(text));
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
