using System.Globalization;
using Akka.Event;

namespace Fabric.Node.Logging;

/// <summary>How a log event is written: Akka's own line layout (the chaos drill's ReachabilityAudit parses it), one line on the console, the cause in full in the file.</summary>
public static class LogLine
{
    /// <summary><c>[WARNING][12/02/2026 05:47:54.893Z][Thread 0026][source] message</c>, on one line, the cause summarized.</summary>
    public static string OneLine(LogEvent e)
    {
        var message = Flatten(e.Message?.ToString() ?? "");
        // A cause that only repeats the message (Fabric's own faults do) adds nothing to the line.
        var cause = e.Cause is null ? "" : e.Cause.Message == message ? $" ({e.Cause.GetType().Name})" : $" ({e.Cause.GetType().Name}: {Flatten(e.Cause.Message)})";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{LogSettings.Name(e.LogLevel())}][{e.Timestamp:MM/dd/yyyy HH:mm:ss.fff}Z][Thread {e.Thread?.ManagedThreadId ?? 0:0000}][{e.LogSource}] {message}{cause}");
    }

    /// <summary>The one line, then the cause with its stack (the file's version).</summary>
    public static string Full(LogEvent e) => e.Cause is null ? OneLine(e) : OneLine(e) + Environment.NewLine + e.Cause;

    /// <summary>Akka's dead-letter reports: noise while the node shuts down in order (actors stop before their last messages land).</summary>
    public static bool IsDeadLetter(LogEvent e) =>
        e.Message?.ToString() is { } text && (text.Contains("dead letters encountered", StringComparison.Ordinal) || text.Contains("was not delivered", StringComparison.Ordinal));

    private static string Flatten(string text) => text.Contains('\n') ? text.ReplaceLineEndings(" ").Trim() : text;
}
