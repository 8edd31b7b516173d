using System.CommandLine;
using Fabric.Messages.Devices;

namespace Fabric.Vim.Cli;

public static class DeviceCommands
{
    public static Command Create(CliContext cli)
    {
        var device = new Command("device", "devices: list, show, disable and enable for maintenance");

        var node = new Option<string?>("--node") { Description = "only this host's devices" };
        var list = new Command("list", "list devices") { node };
        list.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            Show(cli, json, await vim.ListDevices(parse.GetValue(node)));
            return ExitCodes.Ok;
        }, ct));

        var showId = new Argument<string>("id") { Description = "device id (node/device)" };
        var show = new Command("show", "show one device") { showId };
        show.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            Show(cli, json, [await vim.GetDevice(parse.GetValue(showId)!)]);
            return ExitCodes.Ok;
        }, ct));

        device.Subcommands.Add(list);
        device.Subcommands.Add(show);
        device.Subcommands.Add(Toggle(cli, "disable", false, "take no new requests (maintenance); what it holds stays"));
        device.Subcommands.Add(Toggle(cli, "enable", true, "take new requests again"));
        return device;
    }

    private static Command Toggle(CliContext cli, string name, bool enabled, string description)
    {
        var id = new Argument<string>("id") { Description = "device id (node/device)" };
        var reason = new Option<string>("--reason") { Description = "why (kept with the device)", DefaultValueFactory = _ => "operator" };
        var command = new Command(name, description) { id, reason };
        command.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            Show(cli, json, [await vim.SetDeviceEnabled(parse.GetValue(id)!, enabled, parse.GetValue(reason)!)]);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    internal static void Show(CliContext cli, bool json, IReadOnlyList<DeviceView> devices) =>
        cli.Show(json, devices, Tables.Devices);
}
