using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fabric.Vim.Cli;

/// <summary>Showing what a command got: as JSON for scripts (--json) or as a table for people.</summary>
public static class CliOutput
{
    public static void Show<T>(this ICliOutput output, bool json, IReadOnlyList<T> items, Func<IReadOnlyList<T>, IRenderable> table)
    {
        if (json)
        {
            output.WriteJson(items);
        }
        else
        {
            output.Out.Write(table(items));
        }
    }

    /// <summary>One item: a JSON object (not a list of one), or the table of one row.</summary>
    public static void ShowOne<T>(this ICliOutput output, bool json, T item, Func<IReadOnlyList<T>, IRenderable> table)
        where T : notnull
    {
        if (json)
        {
            output.WriteJson(item);
        }
        else
        {
            output.Out.Write(table([item]));
        }
    }
}
