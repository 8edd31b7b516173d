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
        var hypervisor = new Option<string>("--hypervisor")
        {
            Description = "process: fabric-guest workloads started here, one per accelerator; qemu: the node agent starts a QEMU VM with the vhost-user accelerators as virtio-crypto devices",
            DefaultValueFactory = _ => "process",
        };
        hypervisor.AcceptOnlyFromAmong("process", "qemu");
        var memory = new Option<int>("--memory") { Description = "qemu: guest RAM in MiB", DefaultValueFactory = _ => 256 };
        var vcpus = new Option<int>("--vcpus") { Description = "qemu: virtual CPUs", DefaultValueFactory = _ => 1 };
        var image = new Option<string?>("--image") { Description = "qemu: guest image folder on the host (vmlinuz, initrd.gz; scripts/guest-image.sh); default: the node's" };
        var guestArgs = new Option<string[]>("--guest-arg") { Description = "qemu: a guest kernel argument fabric.NAME=VALUE (fabric.hold=1: keep running after the in-guest tests; fabric.seconds=N); repeatable" };
        var spawn = new Command("spawn", "start a VM on a host: bind and realize its accelerators, then start its guest workloads (or, --hypervisor qemu, the node starts the VM)")
        {
            spawnVm, host, arqs, noGuest, guestOp, guestDuration, hypervisor, memory, vcpus, image, guestArgs,
        };
        spawn.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            var vmId = parse.GetValue(spawnVm)!;
            var qemu = parse.GetValue(hypervisor) == "qemu";
            var machine = qemu ? new VmMachine("qemu", parse.GetValue(memory), parse.GetValue(vcpus), parse.GetValue(image), parse.GetValue(guestArgs) ?? []) : null;
            var realized = await vim.SpawnVm(vmId, parse.GetValue(host)!, Accelerators(parse.GetValue(arqs)!), machine: machine);
            var guests = new List<(string Attachment, int Pid, string Log)>();
            if (!qemu && !parse.GetValue(noGuest))
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
                    machine = realized.Machine,
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

                if (realized.Machine is { } m)
                {
                    cli.Out.MarkupLine(Markup.Escape(Describe(m)));
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

    /// <summary>One line: a VM machine's state, pid, accelerator, devices and console log.</summary>
    public static string Describe(VmMachineView m) =>
        $"VM {m.VmId} on {m.Node}: {m.Hypervisor} {m.State}{(m.Reason is null ? "" : $" ({m.Reason})")}, pid {m.Pid}, {m.Accelerator}, " +
        $"{m.MemoryMiB} MiB, {m.Vcpus} vCPU(s), {m.VirtioCryptoSockets.Count} virtio-crypto device(s), console {m.ConsoleLog}";

    private static VmAccelerator[] Accelerators(string[] arqs) => arqs
        .Select(a => a.Split('=', 2))
        .Select(p => new VmAccelerator(p[0], p.Length == 2 && p[1].Length > 0 ? p[1] : null))
        .ToArray();
}
