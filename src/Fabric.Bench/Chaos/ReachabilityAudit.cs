using System.Globalization;
using System.Text.RegularExpressions;

namespace Fabric.Bench.Chaos;

/// <summary>A span of time in which the drill had a node stopped (killed or told to leave); open while it stays down.</summary>
public sealed record DownWindow(DateTime From, DateTime? Until);

/// <summary>One node's part in the audit: its cluster port, the spans the drill had it down, and its log.</summary>
public sealed record AuditedNode(string Name, int Port, IReadOnlyList<DownWindow> DownWindows, IReadOnlyList<string> LogLines);

/// <summary>
/// Finds failure-detector verdicts the drill did not cause: a node marking another UNREACHABLE while the drill had that
/// other node running. Each one is a step towards the split brain resolver downing healthy nodes (issue 18: both
/// control nodes were downed as "indirectly connected" after such marks), so the drills count them as problems.
/// </summary>
public static partial class ReachabilityAudit
{
    /// <summary>How long before the drill's own record of a kill a mark may come (the clocks are one clock; this is rounding).</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    public static IReadOnlyList<string> SpuriousMarks(IReadOnlyList<AuditedNode> nodes)
    {
        var byPort = nodes.ToDictionary(n => n.Port);
        var found = new List<string>();
        foreach (var observer in nodes)
        {
            foreach (var line in observer.LogLines)
            {
                var mark = Mark().Match(line);
                if (!mark.Success || !byPort.TryGetValue(int.Parse(mark.Groups["port"].Value, CultureInfo.InvariantCulture), out var subject))
                {
                    continue;
                }

                var at = DateTime.ParseExact(mark.Groups["at"].Value, "MM/dd/yyyy HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
                if (!subject.DownWindows.Any(w => at >= w.From - Slack && (w.Until is null || at < w.Until)))
                {
                    found.Add($"{observer.Name} marked {subject.Name} unreachable at {at:HH:mm:ss.fff} while it was running");
                }
            }
        }

        return found;
    }

    // Akka's log line: [WARNING][12/02/2026 05:47:54.893Z][Thread 0026][...] Cluster Node [...] - Marking node(s) as
    // UNREACHABLE [Member(address = akka.tcp://fabric@127.0.0.1:34269, ... ("Marking exiting node(s)" is a leave: not matched).
    [GeneratedRegex(@"^\[\w+\]\[(?<at>\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d{3})Z\].* - Marking node\(s\) as UNREACHABLE \[Member\(address = akka(?:\.ssl)?\.tcp://[^@]+@[^:]+:(?<port>\d+)")]
    private static partial Regex Mark();
}
