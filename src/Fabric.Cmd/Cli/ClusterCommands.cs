using System.CommandLine;
using Fabric.Messages.Operator;
using Fabric.Vim.Cli;
using Spectre.Console;

namespace Fabric.Cmd.Cli;

/// <summary>The <c>cluster</c> palette: show the members, make one leave, mark one down, follow membership changes.</summary>
public static class ClusterCommands
{
    public static Command Create(CmdContext cmd)
    {
        var cluster = new Command("cluster", "cluster membership: show, leave, down, tail");

        var show = new Command("show", "members with their status, roles, node name and reachability; the leader");
        show.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var state = await fabric.Request<ClusterStateView>(GetClusterState.Instance, ct);
            if (json)
            {
                cmd.WriteJson(state);
            }
            else
            {
                cmd.Out.Write(CmdTables.Cluster(state));
                cmd.Out.WriteLine($"seen from {state.Gateway}; leader {state.Leader ?? "none"}; {state.Unreachable.Count} unreachable");
            }

            return ExitCodes.Ok;
        }, ct));

        var tailSeconds = new Option<double>("--seconds") { Description = "stop after this many seconds (default: until Ctrl+C)" };
        var tail = new Command("tail", "follow membership changes (joined, up, left, exited, removed, unreachable, leader) until Ctrl+C") { tailSeconds };
        tail.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var limit = parse.GetValue(tailSeconds);
            if (limit < 0)
            {
                return cmd.Fail(ExitCodes.Usage, "--seconds must not be negative");
            }

            // Events arrive on the subscriber's thread; one lock keeps lines whole.
            var gate = new object();
            using var subscription = fabric.StartActor((client, path) => ClusterTailSubscriber.Props(client, path, e =>
            {
                lock (gate)
                {
                    if (json)
                    {
                        cmd.WriteJson(e);
                    }
                    else
                    {
                        var who = e.NodeName is { } n ? $" ({Markup.Escape(n)})" : "";
                        cmd.Out.MarkupLine($"{e.At:HH:mm:ss.fff} [bold]{Markup.Escape(e.Kind)}[/] {Markup.Escape(e.Address)}{who} {Markup.Escape(e.Status)}");
                    }

                    cmd.Stdout.Flush();
                }
            }, () =>
            {
                lock (gate)
                {
                    if (!json)
                    {
                        cmd.Out.MarkupLine($"[grey]following membership changes from {Markup.Escape(parse.GetValue(cmd.Contact)!)}; Ctrl+C stops[/]");
                    }
                }
            }));

            try
            {
                await Task.Delay(limit > 0 ? TimeSpan.FromSeconds(limit) : Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException)
            {
            }

            return ExitCodes.Ok;
        }, ct));

        cluster.Subcommands.Add(show);
        cluster.Subcommands.Add(Steer(cmd, "leave", "the member leaves gracefully: its shards are handed over first", a => new LeaveMember(a)));
        cluster.Subcommands.Add(Steer(cmd, "down", "mark a member down (it is gone): its shards move and its entities recover elsewhere", a => new DownMember(a)));
        cluster.Subcommands.Add(tail);
        return cluster;
    }

    private static Command Steer(CmdContext cmd, string name, string description, Func<string, object> message)
    {
        var address = new Argument<string>("address") { Description = "the member: host:port or akka.tcp://fabric@host:port (as 'cluster show' lists it)" };
        var command = new Command(name, description) { address };
        command.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var raw = parse.GetValue(address)!.Trim();
            var full = raw.Contains("://", StringComparison.Ordinal) ? raw : $"akka.tcp://fabric@{raw}";
            var accepted = await fabric.Request<MemberCommandAccepted>(message(full), ct);
            if (json)
            {
                cmd.WriteJson(accepted);
            }
            else
            {
                cmd.Out.MarkupLine($"{Markup.Escape(accepted.Action)} of {Markup.Escape(accepted.Address)} requested (it was {Markup.Escape(accepted.StatusBefore)}); 'fabric-cmd cluster tail' follows it");
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
