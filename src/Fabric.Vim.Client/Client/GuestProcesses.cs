using System.Diagnostics;
using System.Text.Json;

namespace Fabric.Vim.Client;

/// <summary>
/// Starts <c>fabric-guest</c> processes as a VM's workload (one per accelerator) and stops them again. Their output
/// goes to <c>./data/vms/&lt;vm&gt;/&lt;attachment&gt;.log</c>, their process ids to <c>.pid</c> files beside it.
/// </summary>
public static class GuestProcesses
{
    public static string Folder(string vmId) => Path.Combine(".", "data", "vms", vmId);

    public static string LogOf(string vmId, string attachmentId) => Path.Combine(Folder(vmId), attachmentId + ".log");

    public static int Start(string vmId, string attachmentId, string channelPath, string op, string duration)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "fabric-guest.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"fabric-guest is not beside this program ({dll}); build the solution first");
        }

        var folder = Folder(vmId);
        Directory.CreateDirectory(folder);
        var log = LogOf(vmId, attachmentId);
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        // exec: the shell becomes the guest, so the pid we keep is the guest's.
        foreach (var arg in new[] { "-c", "exec dotnet \"$0\" run --channel \"$1\" --op \"$2\" --duration \"$3\" --json > \"$4\" 2>&1", dll, channelPath, op, duration, log })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start fabric-guest");
        File.WriteAllText(Path.Combine(folder, attachmentId + ".pid"), process.Id.ToString());
        return process.Id;
    }

    /// <summary>A finished guest's JSON summary (ops_submitted, ops_ok, ops_error, ops_lost, ...), or null while it runs.</summary>
    public static JsonElement? Summary(string vmId, string attachmentId)
    {
        var log = LogOf(vmId, attachmentId);
        if (!File.Exists(log))
        {
            return null;
        }

        // The summary is the one JSON line; an error message may follow it (stderr shares the log).
        foreach (var line in File.ReadAllLines(log).Reverse())
        {
            var text = line.Trim();
            if (text.StartsWith('{') && text.EndsWith('}'))
            {
                try
                {
                    return JsonDocument.Parse(text).RootElement.Clone();
                }
                catch (JsonException)
                {
                    return null;
                }
            }
        }

        return null;
    }

    /// <summary>Waits for the VM's guest of <paramref name="attachmentId"/> to finish and returns its summary.</summary>
    public static async Task<JsonElement> AwaitSummary(string vmId, string attachmentId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Summary(vmId, attachmentId) is { } summary)
            {
                return summary;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"fabric-guest of {vmId}/{attachmentId} wrote no summary within {timeout.TotalSeconds:0}s (see {LogOf(vmId, attachmentId)})");
    }

    /// <summary>Stops the VM's guests that still run; returns how many were stopped.</summary>
    public static int Stop(string vmId)
    {
        var folder = Folder(vmId);
        if (!Directory.Exists(folder))
        {
            return 0;
        }

        var stopped = 0;
        foreach (var pidFile in Directory.GetFiles(folder, "*.pid"))
        {
            if (int.TryParse(File.ReadAllText(pidFile), out var pid))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    if (!process.HasExited && process.ProcessName.StartsWith("dotnet", StringComparison.Ordinal))
                    {
                        process.Kill();
                        process.WaitForExit(5000);
                        stopped++;
                    }
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }

            File.Delete(pidFile);
        }

        return stopped;
    }
}
