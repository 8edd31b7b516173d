using System.CommandLine;
using Fabric.Messages.Attachments;
using Fabric.Messages.Vim;
using Fabric.Vim.Cli;

namespace Fabric.Cmd.Cli;

/// <summary>The <c>attachments</c> palette: accelerator requests (ARQs) and where they run.</summary>
public static class AttachmentsCommands
{
    public static Command Create(CmdContext cmd)
    {
        var attachments = new Command("attachments", "accelerator requests: list, show, set-service-level");

        var vm = new Option<string?>("--vm") { Description = "only this VM's attachments" };
        var list = new Command("list", "attachments with their VM, state, host, device and channel") { vm };
        list.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            Show(cmd, json, (await fabric.Request<AttachmentList>(new ListAttachments(parse.GetValue(vm)), ct)).Attachments);
            return ExitCodes.Ok;
        }, ct));

        var id = new Argument<string>("id") { Description = "attachment id" };
        var show = new Command("show", "one attachment") { id };
        show.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var view = await fabric.Request<AttachmentView>(new GetAttachment(parse.GetValue(id)!), ct);
            cmd.ShowOne(json, view, Tables.Attachments);

            return ExitCodes.Ok;
        }, ct));

        attachments.Subcommands.Add(list);
        attachments.Subcommands.Add(show);
        attachments.Subcommands.Add(ServiceLevelCommand.Create(cmd.Run, cmd.Fail, (json, view) => Show(cmd, json, [view])));
        return attachments;
    }

    private static void Show(CmdContext cmd, bool json, IReadOnlyList<AttachmentView> attachments) =>
        cmd.Show(json, attachments, Tables.Attachments);
}
