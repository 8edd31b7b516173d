using System.CommandLine;
using Fabric.Messages.Node;
using Fabric.Messages.Operator;
using Fabric.Vim.Cli;
using Spectre.Console;

namespace Fabric.Cmd.Cli;

/// <summary>The <c>vms</c> palette: the VM machines (QEMU) the node agents started, running or stopped.</summary>
public static class VmsCommands
{
    public static Command Create(CmdContext cmd)
    {
        var vms = new Command("vms", "the VM machines (QEMU) the node agents run: state, pid, console log");
        var node = new Option<string?>("--node") { Description = "only this compute node (default: every compute node that is up)" };
        var list = new Command("list", "each VM machine: node, state (starting, running, stopped and why), pid, kvm or tcg, devices, console log") { node };
        list.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            IEnumerable<string> nodes = parse.GetValue(node) is { } one ? [one]
                : (await fabric.Request<ClusterStateView>(GetClusterState.Instance, ct)).Members
                    .Where(m => m is { NodeName: not null, Status: "Up" } && m.Roles.Contains("compute")).Select(m => m.NodeName!).Distinct();
            var statuses = await Task.WhenAll(nodes.Select(n => fabric.Request<NodeStatus>(new GetNodeStatusOf(n), ct)));
            var machines = statuses.SelectMany(s => s.Vms ?? []).OrderBy(v => v.Node, StringComparer.Ordinal).ThenBy(v => v.VmId, StringComparer.Ordinal).ToArray();
            if (json)
            {
                cmd.WriteJson(machines);
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("vm", "node", "state", "pid", "accel", "memory", "devices", "attachments", "console log");
            foreach (var m in machines)
            {
                table.AddRow(Markup.Escape(m.VmId), Markup.Escape(m.Node), Markup.Escape(m.State + (m.Reason is null ? "" : $" ({m.Reason})")),
                    m.Pid.ToString(), m.Accelerator, $"{m.MemoryMiB} MiB", m.VirtioCryptoSockets.Count.ToString(),
                    Markup.Escape(string.Join(", ", m.Attachments)), Markup.Escape(m.ConsoleLog));
            }

            cmd.Out.Write(table);
            return ExitCodes.Ok;
        }, ct));
        vms.Subcommands.Add(list);
        return vms;
    }
}
