using System.CommandLine;
using Fabric.Messages.Attachments;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Spectre.Console;

namespace Fabric.Vim.Cli;

public static class ProfileCommands
{
    private const string AttachTypeKey = "accel:attach_handle_type";

    public static Command Create(CliContext cli)
    {
        var profile = new Command("profile", "device profiles: named groups of functions and queue pairs");

        var name = new Argument<string>("name") { Description = "profile name" };
        var groups = new Option<string[]>("--group")
        {
            Description = "function:queue-pairs, repeatable, e.g. --group aes-256-gcm:1 --group sha256:1; a group may add Fabric's service level keys: "
                + "--group aes-256-gcm:1,fabric:weight=4,fabric:committed_ops=10000,fabric:class=latency (docs/service-levels.md); "
                + "and the realization: --group aes-cbc:1,accel:attach_handle_type=VHOST_USER (FABRIC_CHANNEL, PCI or VHOST_USER; docs/vhost.md)",
            Required = true,
        };
        var create = new Command("create", "create a device profile") { name, groups };
        create.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            var parsed = new List<ProfileGroup>();
            var keys = new List<KeyValuePair<string, string>>();
            foreach (var g in parse.GetValue(groups)!)
            {
                if (ServiceLevelCommand.ParseGroup(g) is not { } group)
                {
                    return cli.Fail(ExitCodes.Usage, $"--group '{g}' is not function:queue-pairs[,fabric:key=value...] (e.g. aes-256-gcm:1 or aes-256-gcm:1,fabric:weight=4)");
                }

                // Cyborg's attach type key asks for a realization (docs/vhost.md: VHOST_USER for a QEMU VM's virtio-crypto).
                var attach = group.Keys.Where(k => k.Key == AttachTypeKey).Select(k => k.Value).LastOrDefault();
                if (attach is not null && !DeviceTraits.AttachTypes.Contains(attach))
                {
                    return cli.Fail(ExitCodes.Usage, $"--group '{g}': {AttachTypeKey} must be one of {string.Join(", ", DeviceTraits.AttachTypes)}, not '{attach}'");
                }

                parsed.Add(attach is null ? new ProfileGroup(group.Function, group.QueuePairs) : new ConstrainedGroup(group.Function, group.QueuePairs, null, null, null, attach));
                keys.AddRange(group.Keys.Where(k => k.Key != AttachTypeKey));
            }

            // One level for the attachment (it binds to one device): the groups' keys together, each named once.
            if (keys.GroupBy(k => k.Key).FirstOrDefault(k => k.Count() > 1) is { } twice)
            {
                return cli.Fail(ExitCodes.Usage, $"--group: {twice.Key} is given more than once; an attachment has one service level");
            }

            if (keys.FirstOrDefault(k => !ServiceLevelKeys.IsKey(k.Key)) is { Key: not null } other)
            {
                return cli.Fail(ExitCodes.Usage, $"--group: '{other.Key}' is not a Fabric key; Fabric's keys are {string.Join(", ", ServiceLevelKeys.All)}");
            }

            var (level, problem) = ServiceLevelKeys.Parse(keys);
            if (problem is not null)
            {
                return cli.Fail(ExitCodes.Usage, $"--group: {problem}");
            }

            var view = await vim.CreateProfile(parse.GetValue(name)!, parsed, level: level);
            Show(cli, json, [view]);
            return ExitCodes.Ok;
        }, ct));

        var list = new Command("list", "list device profiles");
        list.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            Show(cli, json, await vim.ListProfiles());
            return ExitCodes.Ok;
        }, ct));

        var showName = new Argument<string>("name") { Description = "profile name" };
        var show = new Command("show", "show one device profile") { showName };
        show.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            Show(cli, json, [await vim.GetProfile(parse.GetValue(showName)!)]);
            return ExitCodes.Ok;
        }, ct));

        var deleteName = new Argument<string>("name") { Description = "profile name" };
        var delete = new Command("delete", "delete a device profile (requests made from it keep their copy)") { deleteName };
        delete.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            var view = await vim.DeleteProfile(parse.GetValue(deleteName)!);
            if (json)
            {
                cli.WriteJson(view);
            }
            else
            {
                cli.Out.MarkupLine($"profile [bold]{Markup.Escape(view.Name)}[/] deleted");
            }

            return ExitCodes.Ok;
        }, ct));

        profile.Subcommands.Add(create);
        profile.Subcommands.Add(list);
        profile.Subcommands.Add(show);
        profile.Subcommands.Add(delete);
        return profile;
    }

    private static void Show(CliContext cli, bool json, IReadOnlyList<ProfileView> profiles) =>
        cli.Show(json, profiles, Tables.Profiles);
}
