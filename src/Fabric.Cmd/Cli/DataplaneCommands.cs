using System.CommandLine;
using Fabric.Messages.Node;
using Fabric.Messages.Operator;
using Fabric.Vim.Cli;
using Fabric.Vim.Client;
using Spectre.Console;

namespace Fabric.Cmd.Cli;

/// <summary>The <c>dataplane</c> palette: the AC queues of the compute nodes, with rates and latencies.</summary>
public static class DataplaneCommands
{
    public static Command Create(CmdContext cmd)
    {
        var dataplane = new Command("dataplane", "the Acceleration Core's queues on the compute nodes");

        var node = new Option<string?>("--node") { Description = "only this compute node (default: every compute node that is up)" };
        var watch = new Option<bool>("--watch") { Description = "keep refreshing (in place on a terminal) until Ctrl+C or --count refreshes" };
        var interval = new Option<double>("--interval") { Description = "seconds between readings; rates are measured over it", DefaultValueFactory = _ => 1 };
        var count = new Option<int>("--count") { Description = "with --watch: stop after this many refreshes (default: until Ctrl+C)" };
        var stats = new Command("stats", "per queue: ops, ops/s, bytes/s, errors, driver faults, p50/p99 latency, service level, throttled time, tokens, share") { node, watch, interval, count };
        stats.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var seconds = parse.GetValue(interval);
            var refreshes = parse.GetValue(count);
            if (cmd.RefusedWatch(seconds, refreshes) is { } refused)
            {
                return refused;
            }

            var view = new StatsView(cmd, fabric, parse.GetValue(node), TimeSpan.FromSeconds(seconds), json);
            if (!parse.GetValue(watch))
            {
                await view.Read(ct);
                await Task.Delay(view.Interval, ct);
                view.Print(await view.Read(ct));
                return ExitCodes.Ok;
            }

            await view.Watch(refreshes == 0 ? int.MaxValue : refreshes, ct);
            return ExitCodes.Ok;
        }, ct));

        dataplane.Subcommands.Add(stats);
        return dataplane;
    }

    /// <summary>Reads the nodes, keeps the rates, and shows them once, as a refreshed list, or live in place.</summary>
    private sealed class StatsView(CmdContext cmd, FabricVimClient fabric, string? node, TimeSpan interval, bool json)
    {
        private readonly DataplaneSampler _sampler = new();

        public TimeSpan Interval => interval;

        public async Task<IReadOnlyList<QueueSample>> Read(CancellationToken ct)
        {
            IEnumerable<string> nodes = node is { } one ? [one]
                : (await fabric.Request<ClusterStateView>(GetClusterState.Instance, ct)).Members
                    .Where(m => m is { NodeName: not null, Status: "Up" }).Select(m => m.NodeName!).Distinct();
            var statuses = await Task.WhenAll(nodes.Select(n => fabric.Request<NodeStatus>(new GetNodeStatusOf(n), ct)));
            return _sampler.Add(statuses, DateTime.UtcNow);
        }

        public void Print(IReadOnlyList<QueueSample> samples)
        {
            if (json)
            {
                cmd.WriteJson(new
                {
                    at = DateTimeOffset.UtcNow,
                    interval_seconds = interval.TotalSeconds,
                    queues = samples.Select(s => new
                    {
                        node = s.Node,
                        queue_id = s.Queue.QueueId,
                        vm_id = s.Queue.VmId,
                        device_id = s.Queue.DeviceId,
                        driver = s.Queue.Driver,
                        ops = s.Queue.Ops,
                        ops_per_second = s.OpsPerSecond,
                        bytes_per_second = s.BytesPerSecond,
                        bytes_in = s.Queue.BytesIn,
                        bytes_out = s.Queue.BytesOut,
                        errors = s.Queue.Errors,
                        errors_per_second = s.ErrorsPerSecond,
                        driver_faults = s.Queue.DriverFaults,
                        latency_p50_nanos = s.Queue.LatencyP50Nanos,
                        latency_p99_nanos = s.Queue.LatencyP99Nanos,
                        state = s.Queue.State,
                        fault_reason = s.Queue.FaultReason,
                        service = s.Queue.Service is not { } v ? null : new
                        {
                            weight = v.Level.Weight,
                            @class = v.Level.Class.ToString().ToLowerInvariant(),
                            committed_ops_per_second = v.Level.CommittedOpsPerSecond,
                            peak_ops_per_second = v.Level.PeakOpsPerSecond,
                            committed_bytes_per_second = v.Level.CommittedBytesPerSecond,
                            peak_bytes_per_second = v.Level.PeakBytesPerSecond,
                            scheduled = v.Scheduled,
                            throttled_nanos = v.ThrottledNanos,
                            ops_tokens = v.OpsTokens,
                            bytes_tokens = v.BytesTokens,
                            ops_per_second = v.OpsPerSecond,
                            bytes_per_second = v.BytesPerSecond,
                            share = v.Share,
                        },
                    }),
                });
                cmd.Stdout.Flush();
            }
            else
            {
                cmd.Out.Write(CmdTables.Dataplane(samples));
            }
        }

        public async Task Watch(int refreshes, CancellationToken ct)
        {
            await Read(ct);
            if (!json && cmd.IsTerminal && cmd.Out.Profile.Capabilities.Interactive)
            {
                // A person at a terminal: one table, redrawn in place.
                await Task.Delay(interval, ct);
                var table = CmdTables.Dataplane(await Read(ct));
                await cmd.Out.Live(table).StartAsync(async live =>
                {
                    for (var i = 1; i < refreshes; i++)
                    {
                        await Task.Delay(interval, ct);
                        live.UpdateTarget(CmdTables.Dataplane(await Read(ct)));
                    }
                });
                return;
            }

            // A log or a script: one table (or JSON line) per reading, each stamped.
            for (var i = 0; i < refreshes; i++)
            {
                await Task.Delay(interval, ct);
                var samples = await Read(ct);
                if (!json)
                {
                    cmd.Out.WriteLine($"{DateTime.Now:HH:mm:ss}");
                }

                Print(samples);
            }
        }
    }
}
