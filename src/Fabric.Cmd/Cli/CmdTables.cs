using Fabric.Messages.Devices;
using Fabric.Messages.Node;
using Fabric.Messages.Operator;
using Fabric.Messages.Pipelines;
using Spectre.Console;

namespace Fabric.Cmd.Cli;

/// <summary>How fabric-cmd shows the fabric's answers to people (devices and attachments use fabric-vim's tables).</summary>
public static class CmdTables
{
    public static Table Cluster(ClusterStateView state)
    {
        var table = new Table().AddColumns("address", "node", "status", "roles", "reachable", "leader");
        foreach (var m in state.Members)
        {
            var status = m.Status == "Up" ? "[green]Up[/]" : $"[yellow]{Markup.Escape(m.Status)}[/]";
            table.AddRow(Markup.Escape(m.Address), Markup.Escape(m.NodeName ?? "-"), status,
                Markup.Escape(string.Join(", ", m.Roles.Where(r => !r.StartsWith("node:", StringComparison.Ordinal)))),
                m.Reachable ? "yes" : "[red]no[/]", m.Address == state.Leader ? "*" : "");
        }

        return table;
    }

    /// <summary>One row per region of each entity type: how many shards and entities it hosts.</summary>
    public static Table Regions(ShardingStatsView stats)
    {
        var table = new Table().AddColumns("entity type", "region", "shards", "entities", "failed shards");
        foreach (var type in stats.Types)
        {
            if (type.Error is { } error)
            {
                table.AddRow(Markup.Escape(type.TypeName), $"[red]{Markup.Escape(error)}[/]", "", "", "");
                continue;
            }

            foreach (var region in type.Regions)
            {
                table.AddRow(Markup.Escape(type.TypeName), Markup.Escape(region.Address), region.Shards.Count.ToString(),
                    region.Shards.Sum(s => s.Entities).ToString(), region.Failed.Count == 0 ? "0" : $"[red]{region.Failed.Count}[/]");
            }
        }

        return table;
    }

    /// <summary>One row per shard: where it lives and how many entities it holds.</summary>
    public static Table Shards(ShardingStatsView stats)
    {
        var table = new Table().AddColumns("entity type", "region", "shard", "entities");
        foreach (var type in stats.Types)
        {
            if (type.Error is { } error)
            {
                table.AddRow(Markup.Escape(type.TypeName), $"[red]{Markup.Escape(error)}[/]", "", "");
                continue;
            }

            foreach (var region in type.Regions)
            {
                foreach (var shard in region.Shards)
                {
                    table.AddRow(Markup.Escape(type.TypeName), Markup.Escape(region.Address), Markup.Escape(shard.ShardId), shard.Entities.ToString());
                }

                foreach (var failed in region.Failed)
                {
                    table.AddRow(Markup.Escape(type.TypeName), Markup.Escape(region.Address), Markup.Escape(failed), "[red]did not answer[/]");
                }
            }
        }

        return table;
    }

    public static Table Pipelines(IEnumerable<PipelineView> pipelines)
    {
        var table = new Table().AddColumns("pipeline", "attachment", "stages", "device");
        foreach (var p in pipelines)
        {
            table.AddRow(Markup.Escape(p.PipelineId), Markup.Escape(p.AttachmentId), Markup.Escape(string.Join(" -> ", p.Stages)), Markup.Escape(p.DeviceId));
        }

        return table;
    }

    /// <summary>One device in full: what <c>devices list</c> shows plus who holds its queue pairs.</summary>
    public static Table Device(DeviceView d)
    {
        var table = new Table().AddColumns("field", "value").HideHeaders();
        table.AddRow("device", Markup.Escape(d.DeviceId));
        table.AddRow("node", Markup.Escape(d.Node));
        table.AddRow("type", Markup.Escape(d.Type));
        table.AddRow("health", d.Health == DeviceHealth.Healthy ? "[green]Healthy[/]" : $"[red]{d.Health}[/] {Markup.Escape(d.HealthReason)}");
        table.AddRow("enabled", d.Enabled ? "yes" : "[yellow]no[/] (maintenance)");
        table.AddRow("queue pairs", $"{d.ReservedQueuePairs} used of {d.CapacityQueuePairs}");
        table.AddRow("committed ops/s", $"{d.CommittedOps} of {d.CapacityOps}");
        table.AddRow("committed bytes/s", $"{d.CommittedBytes} of {d.CapacityBytes}");
        table.AddRow("functions", Markup.Escape(string.Join(" ", d.Functions)));
        table.AddRow("traits", Markup.Escape(string.Join(" ", d.Traits ?? [])));
        table.AddRow("operator traits", (d.CustomTraits ?? []).Count == 0 ? "-" : Markup.Escape(string.Join(" ", d.CustomTraits!)));
        table.AddRow("resource classes", Markup.Escape(string.Join(" ", d.ResourceClasses ?? [])));
        table.AddRow("held by", d.Holders.Count == 0 ? "-" : Markup.Escape(string.Join(", ", d.Holders.Select(h => $"{h.Key} x{h.Value}"))));
        return table;
    }

    public static Table Dataplane(IReadOnlyList<QueueSample> samples)
    {
        var table = new Table().AddColumns("node", "queue", "VM", "device", "driver", "ops", "ops/s", "bytes/s", "errors", "driver faults", "p50 µs", "p99 µs",
            "level", "throttled s", "tokens", "share", "state");
        foreach (var column in table.Columns.Skip(5).SkipLast(1))
        {
            column.RightAligned();
        }

        foreach (var s in samples)
        {
            var q = s.Queue;
            table.AddRow(Markup.Escape(s.Node), Markup.Escape(q.QueueId), Markup.Escape(q.VmId), Markup.Escape(q.DeviceId), Markup.Escape(q.Driver),
                q.Ops.ToString("N0"), s.OpsPerSecond is { } r ? r.ToString("N0") : "-", s.BytesPerSecond is { } b ? b.ToString("N0") : "-",
                q.Errors == 0 ? "0" : $"[red]{q.Errors:N0}[/]", q.DriverFaults == 0 ? "0" : $"[red]{q.DriverFaults:N0}[/]",
                Micros(q.LatencyP50Nanos), Micros(q.LatencyP99Nanos),
                Markup.Escape(Level(q.Service)), q.Service is { } t ? (t.ThrottledNanos / 1e9).ToString("0.000") : "-",
                Tokens(q.Service), q.Service?.Share is { } share ? share.ToString("P0") : "-",
                q.State == "Faulted" ? $"[red]Faulted[/]: {Markup.Escape(q.FaultReason ?? "")}" : Markup.Escape(q.State));
        }

        if (samples.Count == 0)
        {
            table.Caption("no dataplane queues: no VM holds an attachment on these nodes");
        }

        return table;
    }

    private static string Micros(long nanos) => (nanos / 1000.0).ToString("0.0");

    /// <summary>A queue's service level in a few characters: weight, class, then committed/peak caps that are set.</summary>
    private static string Level(NodeQueueService? service)
    {
        if (service is null)
        {
            return "-";
        }
        var l = service.Level;
        var parts = new List<string> { $"w{l.Weight}", l.Class.ToString().ToLowerInvariant() };
        if (l.CommittedOpsPerSecond > 0 || l.PeakOpsPerSecond > 0)
        {
            parts.Add($"{Short(l.CommittedOpsPerSecond)}..{Short(l.PeakOpsPerSecond)} op/s");
        }
        if (l.CommittedBytesPerSecond > 0 || l.PeakBytesPerSecond > 0)
        {
            parts.Add($"{Short(l.CommittedBytesPerSecond)}..{Short(l.PeakBytesPerSecond)} B/s");
        }
        return string.Join(" ", parts);
    }

    private static string Tokens(NodeQueueService? service) =>
        service is null || (service.OpsTokens is null && service.BytesTokens is null) ? "-"
            : string.Join(" ", new[] { service.OpsTokens is { } o ? $"{o:0} op" : null, service.BytesTokens is { } b ? $"{Short((long)b)} B" : null }.Where(x => x is not null));

    /// <summary>0 is "none" in a rate: shown as a dash.</summary>
    private static string Short(long value) => value switch
    {
        0 => "-",
        >= 1_000_000_000 => $"{value / 1e9:0.#}G",
        >= 1_000_000 => $"{value / 1e6:0.#}M",
        >= 1_000 => $"{value / 1e3:0.#}k",
        _ => value.ToString(),
    };
}
