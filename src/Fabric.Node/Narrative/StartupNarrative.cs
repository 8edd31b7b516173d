using Spectre.Console;

namespace Fabric.Node.Narrative;

/// <summary>
/// What fabric-node tells the person who started it, on standard output: a list of facts about what started (one line
/// each, in the same words on a terminal and in a pipe, where tests and the chaos drill read them), then, once, what
/// to do next. Logs are not part of it: they go to the log file (see <see cref="Logging.FabricLogger"/>).
/// </summary>
public sealed class StartupNarrative(IAnsiConsole console)
{
    private readonly bool _terminal = console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
    private bool _nextStepsShown;

    /// <summary>One fact: "topic: what" (e.g. "hio: 3 devices found"); any part of the start-up may add its own (TLS, metrics).</summary>
    public void Fact(string topic, string text)
    {
        if (_terminal)
        {
            console.MarkupLine($"[grey]{Markup.Escape(topic)}:[/] {Markup.Escape(text)}");
        }
        else
        {
            Console.Out.WriteLine($"{topic}: {text}");
        }
    }

    /// <summary>A line of its own (the headline "fabric-node X up at ...").</summary>
    public void Line(string text)
    {
        if (_terminal)
        {
            console.MarkupLine($"[bold]{Markup.Escape(text)}[/]");
        }
        else
        {
            Console.Out.WriteLine(text);
        }
    }

    /// <summary>Printed once however often it is called: the address and the commands that use it.</summary>
    public void NextSteps(IReadOnlyList<string> lines)
    {
        if (_nextStepsShown)
        {
            return;
        }

        _nextStepsShown = true;
        if (_terminal)
        {
            console.WriteLine();
            foreach (var line in lines)
            {
                console.MarkupLine(line.StartsWith("  ", StringComparison.Ordinal) ? $"[cyan]{Markup.Escape(line)}[/]" : Markup.Escape(line));
            }
        }
        else
        {
            foreach (var line in lines)
            {
                Console.Out.WriteLine(line);
            }
        }
    }
}
