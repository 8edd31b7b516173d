using System.CommandLine;
using Fabric.Messages.Profiles;
using Spectre.Console;

namespace Fabric.Vim.Cli;

public static class ProfileCommands
{
    public static Command Create(CliContext cli)
    {
        var profile = new Command("profile", "device profiles: named groups of functions and queue pairs");

        var name = new Argument<string>("name") { Description = "profile name" };
        var groups = new Option<string[]>("--group") { Description = "function:queue-pairs, repeatable, e.g. --group aes-256-gcm:1 --group sha256:1", Required = true };
        var create = new Command("create", "create a device profile") { name, groups };
        create.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            var parsed = new List<ProfileGroup>();
            foreach (var g in parse.GetValue(groups)!)
            {
                var parts = g.Split(':');
                if (parts.Length != 2 || !int.TryParse(parts[1], out var count))
                {
                    return cli.Fail(ExitCodes.Usage, $"--group '{g}' is not function:queue-pairs (e.g. aes-256-gcm:1)");
                }

                parsed.Add(new ProfileGroup(parts[0], count));
            }

            var view = await vim.CreateProfile(parse.GetValue(name)!, parsed);
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
