using System.CommandLine;
using System.Globalization;
using Fabric.Messages.Attachments;
using Fabric.Vim.Client;

namespace Fabric.Vim.Cli;

/// <summary>
/// <c>set-service-level</c>, shared by fabric-vim (<c>arq</c>, alias <c>attachments</c>) and fabric-cmd (<c>attachments</c>):
/// changes what it names of the attachment's current level (or starts from best effort with <c>--best-effort</c>).
/// </summary>
public static class ServiceLevelCommand
{
    public delegate Task<int> Runner(ParseResult parse, Func<FabricVimClient, bool, Task<int>> body, CancellationToken cancellation);

    public static Command Create(Runner run, Func<int, string, int> fail, Action<bool, AttachmentView> show)
    {
        var id = new Argument<string>("id") { Description = "attachment (request) id" };
        var weight = new Option<string?>("--weight") { Description = $"share of its AC worker when contended, 1..{ServiceLevelKeys.MaxWeight}" };
        var committedOps = new Option<string?>("--committed-ops") { Description = "ops/s its device commits to it (never oversold); 0: none" };
        var peakOps = new Option<string?>("--peak-ops") { Description = "ops/s it never exceeds; 0: no cap" };
        var committedBytes = new Option<string?>("--committed-bytes") { Description = "payload bytes/s its device commits to it; 0: none" };
        var peakBytes = new Option<string?>("--peak-bytes") { Description = "payload bytes/s it never exceeds; 0: no cap" };
        var serviceClass = new Option<string?>("--class") { Description = "latency (visited first within its share) or bulk" };
        var bestEffort = new Option<bool>("--best-effort") { Description = "start from best effort (weight 1, nothing committed, no cap, bulk) instead of its current level" };
        var command = new Command("set-service-level",
            "change a running attachment's service level: its device must commit the rates (refused when it would oversell), its AC applies it without reopening the channel")
        {
            id, weight, committedOps, peakOps, committedBytes, peakBytes, serviceClass, bestEffort,
        };
        command.SetAction((parse, ct) => run(parse, async (fabric, json) =>
        {
            var given = new (string Key, string? Value)[]
            {
                (ServiceLevelKeys.Weight, parse.GetValue(weight)),
                (ServiceLevelKeys.CommittedOps, parse.GetValue(committedOps)),
                (ServiceLevelKeys.PeakOps, parse.GetValue(peakOps)),
                (ServiceLevelKeys.CommittedBytes, parse.GetValue(committedBytes)),
                (ServiceLevelKeys.PeakBytes, parse.GetValue(peakBytes)),
                (ServiceLevelKeys.Class, parse.GetValue(serviceClass)),
            }.Where(g => g.Value is not null).Select(g => new KeyValuePair<string, string>(g.Key, g.Value!)).ToArray();
            var reset = parse.GetValue(bestEffort);
            if (given.Length == 0 && !reset)
            {
                return fail(ExitCodes.Usage, "name what to change: --weight, --committed-ops, --peak-ops, --committed-bytes, --peak-bytes, --class or --best-effort");
            }

            var attachmentId = parse.GetValue(id)!;
            var current = reset ? ServiceLevel.BestEffort : (await fabric.GetAttachment(attachmentId)).Level ?? ServiceLevel.BestEffort;
            var (level, problem) = ServiceLevelKeys.Parse(given, current);
            if (problem is not null)
            {
                return fail(ExitCodes.Usage, OptionNames(problem));
            }

            show(json, await fabric.SetServiceLevel(attachmentId, level ?? current));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>A problem in the options' names: <c>fabric:committed_ops</c> is <c>--committed-ops</c> here.</summary>
    private static string OptionNames(string problem) =>
        ServiceLevelKeys.All.Aggregate(problem, (text, key) => text.Replace(key, "--" + key[ServiceLevelKeys.Prefix.Length..].Replace('_', '-'), StringComparison.Ordinal));

    /// <summary>A profile group on the command line: <c>function:queue-pairs</c>, then Fabric's keys, <c>,fabric:weight=4,fabric:class=latency</c>.</summary>
    public static (string Function, int QueuePairs, IReadOnlyList<KeyValuePair<string, string>> Keys)? ParseGroup(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var head = parts[0].Split(':');
        if (head.Length != 2 || !int.TryParse(head[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return null;
        }

        var keys = new List<KeyValuePair<string, string>>();
        foreach (var part in parts.Skip(1))
        {
            var eq = part.IndexOf('=');
            if (eq < 1)
            {
                return null;
            }

            keys.Add(new(part[..eq].Trim(), part[(eq + 1)..].Trim()));
        }

        return (head[0], count, keys);
    }
}
