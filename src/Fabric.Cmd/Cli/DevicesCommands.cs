using System.CommandLine;
using Fabric.Messages.Devices;
using Fabric.Messages.Vim;
using Fabric.Vim.Cli;
using Fabric.Vim.Client;

namespace Fabric.Cmd.Cli;

/// <summary>The <c>devices</c> palette: list, show, take a device out of (or back into) service for maintenance, set its traits.</summary>
public static class DevicesCommands
{
    public static Command Create(CmdContext cmd)
    {
        var devices = new Command("devices", "accelerator devices: list, show, disable and enable for maintenance, traits");

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
