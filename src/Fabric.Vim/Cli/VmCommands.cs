using System.CommandLine;
using Fabric.Messages.Node;
using Fabric.Vim.Client;
using Spectre.Console;

namespace Fabric.Vim.Cli;

/// <summary>The VM life cycle as a compute manager drives it: spawn, delete, move.</summary>
public static class VmCommands
{
    public static Command Create(CliContext cli)
    {
        var vm = new Command("vm", "VM life cycle: accelerators bound and realized before the VM runs, released when it goes");

        var spawnVm = new Argument<string>("vm") { Description = "VM id" };
        var host = new Option<string>("--host") { Description = "compute host the VM starts on", Required = true };
        var arqs = new Option<string[]>("--arq") { Description = "accelerator request id, or id=stage->stage for a pipeline; repeatable", Required = true };
        var noGuest = new Option<bool>("--no-guest") { Description = "do not start fabric-guest workloads" };
        var guestOp = new Option<string>("--guest-op") { Description = "fabric-guest --op for each accelerator", DefaultValueFactory = _ => "roundtrip" };
        var guestDuration = new Option<string>("--guest-duration") { Description = "how long each fabric-guest runs", DefaultValueFactory = _ => "60s" };
        var spawn = new Command("spawn", "start a VM on a host: bind and realize its accelerators, then start its guest workloads")
        {
            spawnVm, host, arqs, noGuest, guestOp, guestDuration,
        };
        spawn.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            var vmId = parse.GetValue(spawnVm)!;
            var realized = await vim.SpawnVm(vmId, parse.GetValue(host)!, Accelerators(parse.GetValue(arqs)!));
            var guests = new List<(string Attachment, int Pid, string Log)>();
            if (!parse.GetValue(noGuest))
            {
                // fabric-guest speaks the channel: a vhost-user or PCI attachment is the VM's hypervisor's to use.
                foreach (var a in realized.Attachments.Where(a => a.Handle is { VhostUserSocket: null, PciAddress: null }))
                {
                    var pid = GuestProcesses.Start(vmId, a.AttachmentId, a.Handle!.ChannelPath, parse.GetValue(guestOp)!, parse.GetValue(guestDuration)!);
                    guests.Add((a.AttachmentId, pid, GuestProcesses.LogOf(vmId, a.AttachmentId)));
                }
            }

            if (json)
            {
                cli.WriteJson(new
                {
                    vm = vmId,
                    node = realized.Node,
                    attachments = realized.Attachments,
                    guests = guests.Select(g => new { attachment = g.Attachment, pid = g.Pid, log = g.Log }),
                });
            }
            else
            {
                cli.Out.MarkupLine($"VM [bold]{Markup.Escape(vmId)}[/] runs on [cyan]{Markup.Escape(realized.Node)}[/]");
                ArqCommands.Show(cli, false, realized.Attachments);
                foreach (var g in guests)
                {
                    cli.Out.MarkupLine(Markup.Escape($"guest workload for {g.Attachment}: fabric-guest pid {g.Pid}, output in {g.Log}"));
                }
            }

            return ExitCodes.Ok;
        }, ct));

        var deleteVm = new Argument<string>("vm") { Description = "VM id" };
        var deleteHost = new Option<string>("--host") { Description = "compute host the VM runs on", Required = true };
        var delete = new Command("delete", "delete a VM: stop its guests, drain and remove its queues, delete its requests") { deleteVm, deleteHost };
        delete.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            var vmId = parse.GetValue(deleteVm)!;
            var guests = GuestProcesses.Stop(vmId);
            var stopped = await vim.DeleteVm(vmId, parse.GetValue(deleteHost)!);
            if (json)
            {
                cli.WriteJson(new { vm = vmId, stopped.Node, stopped.Attachments, stopped.CompletedWhileDraining, guests_stopped = guests });
            }
            else
            {
                cli.Out.MarkupLine($"VM [bold]{Markup.Escape(vmId)}[/] deleted on {Markup.Escape(stopped.Node)}: " +
                    $"{stopped.Attachments.Count} accelerator(s) released, {guests} guest(s) stopped");
            }

            return ExitCodes.Ok;
        }, ct));

        var moveVm = new Argument<string>("vm") { Description = "VM id" };
        var from = new Option<string>("--from") { Description = "host the VM leaves", Required = true };
        var to = new Option<string>("--to") { Description = "host the VM starts on", Required = true };
        var moveArqs = new Option<string[]>("--arq") { Description = "the VM's accelerator request ids (id or id=pipeline); repeatable", Required = true };
        var move = new Command("move", "cold-migrate a VM: its accelerators are re-bound and realized on the new host") { moveVm, from, to, moveArqs };
        move.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            var realized = await vim.MoveVm(parse.GetValue(moveVm)!, parse.GetValue(from)!, parse.GetValue(to)!, Accelerators(parse.GetValue(moveArqs)!));
            if (json)
            {
                cli.WriteJson(realized);
            }
            else
            {
                cli.Out.MarkupLine($"VM [bold]{Markup.Escape(realized.VmId)}[/] now runs on [cyan]{Markup.Escape(realized.Node)}[/]");
                ArqCommands.Show(cli, false, realized.Attachments);
            }

            return ExitCodes.Ok;
        }, ct));

        vm.Subcommands.Add(spawn);
        vm.Subcommands.Add(delete);
        vm.Subcommands.Add(move);
        return vm;
    }

    private static VmAccelerator[] Accelerators(string[] arqs) => arqs
        .Select(a => a.Split('=', 2))
        .Select(p => new VmAccelerator(p[0], p.Length == 2 && p[1].Length > 0 ? p[1] : null))
        .ToArray();
}
