using System.CommandLine;
using Fabric.Messages.Attachments;

namespace Fabric.Vim.Cli;

/// <summary>Accelerator requests (Cyborg's ARQs): one attachment of a VM to a device that serves its profile.</summary>
public static class ArqCommands
{
    public static Command Create(CliContext cli)
    {
        var arq = new Command("arq", "accelerator requests (alias attachments): create, bind, show, list, set-service-level, delete");
        arq.Aliases.Add("attachments");

        var id = new Argument<string>("id") { Description = "request id (letters, digits, '.', '_', '-')" };
        var vm = new Option<string>("--vm") { Description = "the VM the accelerator is for", Required = true };
        var profile = new Option<string>("--profile") { Description = "device profile", Required = true };
        var create = new Command("create", "create a request from a device profile") { id, vm, profile };
        create.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            Show(cli, json, [await vim.CreateAttachment(parse.GetValue(id)!, parse.GetValue(vm)!, parse.GetValue(profile)!)]);
            return ExitCodes.Ok;
        }, ct));

        var bindId = new Argument<string>("id") { Description = "request id" };
        var host = new Option<string?>("--host") { Description = "bind on this host (default: any host with capacity)" };
        var bind = new Command("bind", "bind the request to a device with free capacity") { bindId, host };
        bind.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            var view = await vim.Bind(parse.GetValue(bindId)!, parse.GetValue(host));
            Show(cli, json, [view]);
            return view.Status == AttachmentStatus.BindFailed
                ? cli.Fail(ExitCodes.Refused, $"bind failed: {view.FailureReason}: {view.FailureMessage}")
                : ExitCodes.Ok;
        }, ct));

        var showId = new Argument<string>("id") { Description = "request id" };
        var show = new Command("show", "show one request") { showId };
        show.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            Show(cli, json, [await vim.GetAttachment(parse.GetValue(showId)!)]);
            return ExitCodes.Ok;
        }, ct));

        var byVm = new Option<string?>("--vm") { Description = "only this VM's requests" };
        var list = new Command("list", "list requests") { byVm };
        list.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            Show(cli, json, await vim.ListAttachments(parse.GetValue(byVm)));
            return ExitCodes.Ok;
        }, ct));

        var deleteId = new Argument<string>("id") { Description = "request id" };
        var delete = new Command("delete", "delete a request and release its capacity (refused while its VM runs)") { deleteId };
        delete.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            Show(cli, json, [await vim.DeleteAttachment(parse.GetValue(deleteId)!)]);
            return ExitCodes.Ok;
        }, ct));

        var setLevel = ServiceLevelCommand.Create(cli.Run, cli.Fail, (json, view) => Show(cli, json, [view]));
        foreach (var c in new[] { create, bind, show, list, setLevel, delete })
        {
            arq.Subcommands.Add(c);
        }

        return arq;
    }

    internal static void Show(CliContext cli, bool json, IReadOnlyList<AttachmentView> attachments) =>
        cli.Show(json, attachments, Tables.Attachments);
}
