using System.CommandLine;
using Fabric.Messages.Devices;
using Fabric.Messages.Node;
using Fabric.Messages.Vim;
using Fabric.Vim.Cli;
using Fabric.Vim.Client;
using Spectre.Console;

namespace Fabric.Cmd.Cli;

/// <summary>The <c>devices</c> palette: list, show, take a device out of (or back into) service for maintenance, set its traits, fault drills.</summary>
public static class DevicesCommands
{
    public static Command Create(CmdContext cmd)
    {
        var devices = new Command("devices", "accelerator devices: list, show, disable and enable for maintenance, traits, fault drills");

        var node = new Option<string?>("--node") { Description = "only this host's devices" };
        var list = new Command("list", "every registered device with its health, state and use") { node };
        list.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var found = (await fabric.Request<DeviceList>(new ListDevices(parse.GetValue(node)), ct)).Devices;
            if (json)
            {
                cmd.WriteJson(found);
            }
            else
            {
                cmd.Out.Write(Tables.Devices(found));
            }

            return ExitCodes.Ok;
        }, ct));

        var showId = DeviceId();
        var show = new Command("show", "one device in full, with the attachments holding it") { showId };
        show.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            Show(cmd, json, await fabric.Request<DeviceView>(new GetDevice(parse.GetValue(showId)!), ct));
            return ExitCodes.Ok;
        }, ct));

        devices.Subcommands.Add(list);
        devices.Subcommands.Add(show);
        devices.Subcommands.Add(Toggle(cmd, "disable", false, "take no new attachments (maintenance); what it holds keeps running"));
        devices.Subcommands.Add(Toggle(cmd, "enable", true, "take new attachments again"));
        devices.Subcommands.Add(Traits(cmd));
        devices.Subcommands.Add(Fault(cmd));
        devices.Subcommands.Add(Repair(cmd));
        return devices;
    }

    private static Argument<string> DeviceId() => new("id") { Description = "device id (node/device, as 'devices list' shows it)" };

    private static Command Toggle(CmdContext cmd, string name, bool enabled, string description)
    {
        var id = DeviceId();
        var reason = new Option<string>("--reason") { Description = "why (kept with the device)", DefaultValueFactory = _ => "operator" };
        var command = new Command(name, description) { id, reason };
        command.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var message = new SetDeviceEnabled(parse.GetValue(id)!, enabled, parse.GetValue(reason)!, FabricVimClient.NewRequestId());
            Show(cmd, json, await fabric.Request<DeviceView>(message, ct));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>Operator traits, journaled on the device and matched at placement (Cyborg profiles' <c>trait:CUSTOM_*</c>).</summary>
    private static Command Traits(CmdContext cmd)
    {
        var id = DeviceId();
        var add = new Option<string[]>("--add") { Description = "trait to add (CUSTOM_ then A-Z, 0-9, _); repeatable", AllowMultipleArgumentsPerToken = true };
        var remove = new Option<string[]>("--remove") { Description = "trait to remove; repeatable", AllowMultipleArgumentsPerToken = true };
        var command = new Command("traits", "add or remove a device's operator traits (CUSTOM_*): profiles require or forbid them") { id, add, remove };
        command.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var message = new SetDeviceTraits(parse.GetValue(id)!, parse.GetValue(add) ?? [], parse.GetValue(remove) ?? [], FabricVimClient.NewRequestId());
            Show(cmd, json, await fabric.Request<DeviceView>(message, ct));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>
    /// Failover drills: the device's node makes its g-driver fail until repaired; the node's supervision then resets it
    /// and moves its queues as for a real fault. Only a fault-injecting device takes it (<c>fabric.node.fault-injection-device = on</c>).
    /// </summary>
    private static Command Fault(CmdContext cmd)
    {
        var id = DeviceId();
        var kind = new Argument<string>("kind") { Description = "throw (every op fails), hang (ops never complete), corrupt (wrong output)" };
        kind.AcceptOnlyFromAmong("throw", "hang", "corrupt");
        var command = new Command("fault", "failover drill: make a fault-injecting device fail until 'devices repair'") { id, kind };
        command.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            ShowOnNode(cmd, json, await fabric.Request<NodeDevice>(new InjectDeviceFault(parse.GetValue(id)!, parse.GetValue(kind)!, FabricVimClient.NewRequestId()), ct));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Repair(CmdContext cmd)
    {
        var id = DeviceId();
        var command = new Command("repair", "end a drill: the device stops failing and is healthy again once its probe passes") { id };
        command.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            ShowOnNode(cmd, json, await fabric.Request<NodeDevice>(new RepairDevice(parse.GetValue(id)!, FabricVimClient.NewRequestId()), ct));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static void ShowOnNode(CmdContext cmd, bool json, NodeDevice device)
    {
        if (json)
        {
            cmd.WriteJson(device);
        }
        else
        {
            cmd.Out.WriteLine($"{device.DeviceId}: {device.Supervision} ({device.Backing})");
        }
    }

    private static void Show(CmdContext cmd, bool json, DeviceView device)
    {
        if (json)
        {
            cmd.WriteJson(device);
        }
        else
        {
            cmd.Out.Write(CmdTables.Device(device));
        }
    }
}
