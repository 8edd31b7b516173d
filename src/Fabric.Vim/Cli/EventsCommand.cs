using System.CommandLine;
using Fabric.Messages.Vim;
using Spectre.Console;

namespace Fabric.Vim.Cli;

/// <summary><c>fabric-vim events</c>: what a VIM is told without asking (binds, failures, lost nodes), until Ctrl+C.</summary>
public static class EventsCommand
{
    public static Command Create(CliContext cli)
    {
        var seconds = new Option<double>("--seconds") { Description = "stop after this many seconds (default: until Ctrl+C)" };
        var events = new Command("events", "stream fabric events: accelerator request bound/failed, device health") { seconds };
        events.SetAction((parse, ct) => cli.Run(parse, async (vim, json) =>
        {
            using var subscription = vim.Subscribe(e =>
            {
                if (json)
                {
                    cli.WriteJson(new { type = e.GetType().Name, @event = (object)e });
                }
                else
                {
                    cli.Out.MarkupLine($"{e.At:HH:mm:ss.fff} {Markup.Escape(e.ToString())}");
                }
            });
            var limit = parse.GetValue(seconds);
            try
            {
                await Task.Delay(limit > 0 ? TimeSpan.FromSeconds(limit) : System.Threading.Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException)
            {
            }

            return ExitCodes.Ok;
        }, ct));
        return events;
    }
}
