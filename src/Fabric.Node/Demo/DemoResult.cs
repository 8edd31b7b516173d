using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fabric.Node.Demo;

/// <summary>How the demo ended: its summary table and verdict, printed once the node has stopped so they are the last thing on the screen.</summary>
public sealed record DemoResult(bool Success, IRenderable Summary, string Verdict)
{
    public void Print(IAnsiConsole console)
    {
        console.Write(new Rule("[bold]Summary[/]").LeftJustified());
        console.Write(Summary);
        console.MarkupLine(Verdict);
    }
}
