using System.CommandLine;
using System.Globalization;
using Fabric.Messages.Operator;
using Fabric.Vim.Cli;
using Fabric.Vim.Client;
using Spectre.Console;

namespace Fabric.Cmd.Cli;

/// <summary>
/// <c>fabric-cmd metrics</c>: the numbers every node exports on <c>/metrics</c> (binds, bind latency, attachments by
/// status, devices by health, the AC per device queue pair, members, shards), as each node read its own meters, with
/// rates of the counters when watched.
/// </summary>
public static class MetricsCommands
{
    public static Command Create(CmdContext cmd)
    {
        var node = new Option<string?>("--node") { Description = "only this member: a node name or an address as 'cluster show' lists it (default: every member that is up)" };
        var name = new Option<string?>("--name") { Description = "only metrics whose name starts with this, e.g. fabric.dataplane or fabric.binds" };
        var watch = new Option<bool>("--watch") { Description = "keep refreshing (in place on a terminal) with rates of the counters, until Ctrl+C or --count refreshes" };
        var interval = new Option<double>("--interval") { Description = "with --watch: seconds between readings; rates are measured over it", DefaultValueFactory = _ => 2 };
        var count = new Option<int>("--count") { Description = "with --watch: stop after this many refreshes (default: until Ctrl+C)" };
        var metrics = new Command("metrics", "OpenTelemetry metrics of every node, as its /metrics endpoint exports them") { node, name, watch, interval, count };
        metrics.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var seconds = parse.GetValue(interval);
            var refreshes = parse.GetValue(count);
            if (cmd.RefusedWatch(seconds, refreshes) is { } refused)
            {
                return refused;
            }

            var view = new MetricsView(cmd, fabric, parse.GetValue(node), parse.GetValue(name), json);
            if (!parse.GetValue(watch))
            {
                view.Print(await view.Read(ct));
                return ExitCodes.Ok;
            }

            await view.Watch(TimeSpan.FromSeconds(seconds), refreshes == 0 ? int.MaxValue : refreshes, ct);
            return ExitCodes.Ok;
        }, ct));
        return metrics;
    }

    private sealed class MetricsView(CmdContext cmd, FabricVimClient fabric, string? node, string? name, bool json)
    {
        private readonly Dictionary<string, (double Value, DateTimeOffset At)> _last = new(StringComparer.Ordinal);

        public async Task<Reading> Read(CancellationToken ct)
        {
            var report = await fabric.Request<MetricsReport>(new GetMetrics(node), ct);
            var rows = new List<MetricRow>();
            foreach (var n in report.Nodes)
            {
                foreach (var s in n.Samples.Where(s => name is null || s.Name.StartsWith(name, StringComparison.Ordinal)))
                {
                    var key = $"{n.Address}|{s.Name}|{string.Join(",", s.Tags.Select(t => $"{t.Key}={t.Value}"))}";
                    double? rate = null;
                    if (s.Kind == MetricKind.Counter && _last.TryGetValue(key, out var before) && n.At > before.At && s.Value >= before.Value)
                    {
                        rate = (s.Value - before.Value) / (n.At - before.At).TotalSeconds;
                    }

                    if (s.Kind == MetricKind.Counter)
                    {
                        _last[key] = (s.Value, n.At);
                    }

                    rows.Add(new MetricRow(n, s, rate));
                }
            }

            return new Reading(report, rows);
        }

        public void Print(Reading reading)
        {
            if (json)
            {
                cmd.WriteJson(new
                {
                    gateway = reading.Report.Gateway,
                    nodes = reading.Report.Nodes.Select(n => new
                    {
                        node = n.Node,
                        address = n.Address,
                        roles = n.Roles,
                        at = n.At,
                        metrics = reading.Rows.Where(r => ReferenceEquals(r.Node, n)).Select(r => new
                        {
                            meter = r.Sample.Meter,
                            name = r.Sample.Name,
                            unit = r.Sample.Unit,
                            kind = r.Sample.Kind,
                            tags = r.Sample.Tags.ToDictionary(t => t.Key, t => t.Value),
                            value = r.Sample.Value,
                            rate_per_second = r.Rate,
                            histogram = r.Sample.Histogram is { } h
                                ? new { count = h.Count, sum = h.Sum, bounds = h.Bounds, bucket_counts = h.BucketCounts }
                                : null,
                        }),
                    }),
                    missing = reading.Report.Missing,
                });
                cmd.Stdout.Flush();
                return;
            }

            cmd.Out.Write(Table(reading));
            foreach (var missing in reading.Report.Missing)
            {
                cmd.Out.MarkupLine($"[yellow]missing:[/] {Markup.Escape(missing)}");
            }
        }

        public async Task Watch(TimeSpan interval, int refreshes, CancellationToken ct)
        {
            var first = await Read(ct);
            if (!json && cmd.IsTerminal && cmd.Out.Profile.Capabilities.Interactive)
            {
                await cmd.Out.Live(Table(first)).StartAsync(async live =>
                {
                    for (var i = 1; i < refreshes; i++)
                    {
                        await Task.Delay(interval, ct);
                        live.UpdateTarget(Table(await Read(ct)));
                    }
                });
                return;
            }

            // A log or a script: one table (or JSON line) per reading, each stamped.
            Print(first);
            for (var i = 1; i < refreshes; i++)
            {
                await Task.Delay(interval, ct);
                var reading = await Read(ct);
                if (!json)
                {
                    cmd.Out.WriteLine($"{DateTime.Now:HH:mm:ss}");
                }

                Print(reading);
            }
        }

        private static Table Table(Reading reading)
        {
            var table = new Table().AddColumns("node", "metric", "labels", "value", "rate/s");
            table.Columns[3].RightAligned();
            table.Columns[4].RightAligned();
            foreach (var r in reading.Rows)
            {
                var labels = string.Join(" ", r.Sample.Tags.Where(t => t.Key != "node").Select(t => $"{t.Key}={t.Value}"));
                var unit = r.Sample.Unit is { Length: > 0 } u && !u.StartsWith('{') ? $" {u}" : "";
                table.AddRow(Markup.Escape(r.Node.Node), Markup.Escape(r.Sample.Name), Markup.Escape(labels),
                    Markup.Escape(Value(r.Sample) + unit), r.Rate is { } rate ? Number(rate) : "-");
            }

            if (reading.Rows.Count == 0)
            {
                table.Caption("no metrics matched");
            }

            return table;
        }

        private static string Value(MetricSample s) => s.Histogram is { } h
            ? $"n={h.Count} mean={(h.Count == 0 ? "-" : Number(h.Sum / h.Count))} p50≤{Bound(h, 0.5)} p99≤{Bound(h, 0.99)}"
            : Number(s.Value);

        /// <summary>The upper bound of the bucket that holds the quantile: what a bucketed histogram can tell.</summary>
        private static string Bound(MetricHistogram h, double quantile)
        {
            if (h.Count == 0)
            {
                return "-";
            }

            var rank = Math.Max(1, (long)Math.Ceiling(h.Count * quantile));
            long seen = 0;
            for (var i = 0; i < h.BucketCounts.Count; i++)
            {
                seen += h.BucketCounts[i];
                if (seen >= rank)
                {
                    return i < h.Bounds.Count ? Number(h.Bounds[i]) : "+Inf";
                }
            }

            return "+Inf";
        }

        private static string Number(double value) =>
            value == Math.Floor(value) && Math.Abs(value) < 1e15 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("N3", CultureInfo.InvariantCulture);
    }

    private sealed record Reading(MetricsReport Report, IReadOnlyList<MetricRow> Rows);

    private sealed record MetricRow(NodeMetrics Node, MetricSample Sample, double? Rate);
}
