using System.CommandLine;
using Spectre.Console;

namespace Fabric.Vim.Cli;

/// <summary>Where a command line tool (fabric-vim, fabric-cmd) writes: tables for people, JSON for scripts, errors.</summary>
public interface ICliOutput
{
    IAnsiConsole Out { get; }

    /// <summary>Writes the one-line error (prefixed with the tool's name) and returns <paramref name="code"/>.</summary>
    int Fail(int code, string message);

    void WriteJson(object value);
}

/// <summary>The options every command of a client tool shares, and where it writes.</summary>
public interface ICliContext : ICliOutput
{
    Option<string> Contact { get; }

    Option<double> Timeout { get; }

    Option<bool> JsonOutput { get; }

    TlsOptions Tls { get; }
}
