using System.CommandLine;
using Fabric.Messages.Operator;
using Fabric.Messages.Pipelines;
using Fabric.Vim.Cli;

namespace Fabric.Cmd.Cli;

/// <summary>The <c>pipelines</c> palette: the stage chains defined on attachments.</summary>
public static class PipelinesCommands
{
    public static Command Create(CmdContext cmd)
    {
        var pipelines = new Command("pipelines", "pipelines (ordered stages an attachment's operations run through): list, show");

        var attachment = new Option<string?>("--attachment") { Description = "only this attachment's pipelines" };
        var list = new Command("list", "pipelines with their attachment, stages and device") { attachment };
        list.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            Show(cmd, json, (await fabric.Request<PipelineList>(new ListPipelines(parse.GetValue(attachment)), ct)).Pipelines);
            return ExitCodes.Ok;
        }, ct));

        var id = new Argument<string>("id") { Description = "pipeline id: attachment/name" };
        var show = new Command("show", "one pipeline") { id };
        show.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var pipelineId = parse.GetValue(id)!;
            if (!pipelineId.Contains('/', StringComparison.Ordinal))
            {
                return cmd.Fail(ExitCodes.Usage, $"'{pipelineId}' is not a pipeline id; use attachment/name (see 'fabric-cmd pipelines list')");
            }

            var view = await fabric.Request<PipelineView>(new GetPipeline(pipelineId), ct);
            cmd.ShowOne(json, view, CmdTables.Pipelines);

            return ExitCodes.Ok;
        }, ct));

        pipelines.Subcommands.Add(list);
        pipelines.Subcommands.Add(show);
        return pipelines;
    }

    private static void Show(CmdContext cmd, bool json, IReadOnlyList<PipelineView> pipelines) =>
        cmd.Show(json, pipelines, CmdTables.Pipelines);
}
