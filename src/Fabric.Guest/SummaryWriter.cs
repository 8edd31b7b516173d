using System.Text.Json;
using Fabric.Dataplane.Channel;
using Spectre.Console;

namespace Fabric.Guest;

/// <summary>Writes a run's result: one JSON object for scripts, or a table for people.</summary>
public static class SummaryWriter
{
    /// <summary>The JSON summary; its field names are a contract with scripts (and the VIM): add fields, never rename.</summary>
    public static string ToJson(GuestResult r)
    {
        using var output = new MemoryStream();
        using (var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false }))
        {
            Write(w, r);
        }
        return System.Text.Encoding.UTF8.GetString(output.ToArray());
    }

    private static void Write(Utf8JsonWriter w, GuestResult r)
    {
        w.WriteStartObject();
        w.WriteString("channel", r.ChannelPath);
        w.WriteString("op", GuestOps.NameOf(r.Op));
        w.WriteNumber("size", r.Size);
        w.WriteNumber("batch", r.Batch);
        w.WriteNumber("rate", r.Rate);
        w.WriteString("stopped_by", StopName(r.StoppedBy));
        w.WriteNumber("exit_code", r.ExitCode);
        w.WriteNumber("ops_submitted", r.Submitted);
        w.WriteNumber("ops_ok", r.Ok);
        w.WriteNumber("ops_error", r.Errors);
        w.WriteStartObject("ops_error_by_status");
        foreach (var (status, count) in r.ErrorsByStatus.OrderBy(e => e.Key))
        {
            w.WriteNumber(StatusName(status), count);
        }
        w.WriteEndObject();
        w.WriteNumber("ops_lost", r.Lost);
        w.WriteNumber("ops_unmatched", r.Unmatched);
        w.WriteNumber("items", r.Items);
        w.WriteNumber("bytes", r.Bytes);
        w.WriteNumber("seconds", Math.Round(r.Seconds, 6));
        w.WriteNumber("ops_per_s", Math.Round(r.OpsPerSecond, 1));
        w.WriteNumber("mb_per_s", Math.Round(r.MegabytesPerSecond, 3));
        w.WriteNumber("p50_us", Math.Round(r.P50Micros, 3));
        w.WriteNumber("p99_us", Math.Round(r.P99Micros, 3));
        w.WriteNumber("max_us", Math.Round(r.MaxMicros, 3));
        w.WriteNumber("integrity_failures", r.IntegrityFailures);
        if (r.Function is null)
        {
            w.WriteNull("function");
        }
        else
        {
            w.WriteString("function", r.Function);
        }
        if (r.OpDeadline is { } deadline)
        {
            w.WriteNumber("op_deadline_ms", Math.Round(deadline.TotalMilliseconds, 3));
        }
        else
        {
            w.WriteNull("op_deadline_ms");
        }
        if (r.Message is null)
        {
            w.WriteNull("error");
        }
        else
        {
            w.WriteString("error", r.Message);
        }
        w.WriteEndObject();
    }

    public static void WriteTable(IAnsiConsole console, GuestResult r)
    {
        var table = new Table().Border(TableBorder.Rounded).HideHeaders();
        table.AddColumn("what");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.Title = new TableTitle($"fabric-guest {GuestOps.NameOf(r.Op)} on {Markup.Escape(r.ChannelPath)}");
        table.AddRow("stopped by", StopName(r.StoppedBy));
        table.AddRow("function", Markup.Escape(r.Function ?? "(not told: ABI v1 channel)"));
        table.AddRow("op deadline", r.OpDeadline is { } d ? $"{d.TotalMilliseconds:N0} ms" : "(not told)");
        table.AddRow("ops submitted", $"{r.Submitted:N0}");
        table.AddRow("ops ok", $"{r.Ok:N0}");
        table.AddRow("ops error", r.Errors > 0 ? $"[red]{r.Errors:N0}[/]" : "0");
        foreach (var (status, count) in r.ErrorsByStatus.OrderBy(e => e.Key))
        {
            table.AddRow($"  {StatusName(status)}", $"{count:N0}");
        }
        table.AddRow("ops lost", r.Lost > 0 ? $"[red]{r.Lost:N0}[/]" : "0");
        table.AddRow("integrity failures", r.IntegrityFailures > 0 ? $"[red]{r.IntegrityFailures:N0}[/]" : "0");
        table.AddRow("seconds", $"{r.Seconds:F2}");
        table.AddRow("ops/s", $"{r.OpsPerSecond:N0}");
        table.AddRow("MB/s", $"{r.MegabytesPerSecond:N1}");
        table.AddRow("latency p50 / p99 / max", $"{r.P50Micros:N1} / {r.P99Micros:N1} / {r.MaxMicros:N1} µs");
        console.Write(table);
    }

    public static string StopName(StopReason reason) => reason switch
    {
        StopReason.NotStarted => "not_started",
        StopReason.Duration => "duration",
        StopReason.Count => "count",
        StopReason.Cancelled => "cancelled",
        StopReason.ChannelDraining => "channel_draining",
        StopReason.ChannelClosed => "channel_closed",
        StopReason.ChannelFaulted => "channel_faulted",
        StopReason.NoAnswer => "no_answer",
        StopReason.SessionFailed => "session_failed",
        _ => reason.ToString(),
    };

    public static string StatusName(OpStatus status) => Enum.IsDefined(status) ? status.ToString() : "Unknown";
}
