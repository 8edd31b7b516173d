using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fabric.Vim.Client;
using Spectre.Console;

namespace Fabric.Vim.Cli;

/// <summary>The options every command shares, and running a command against a connected client with exit codes that mean something.</summary>
public sealed class CliContext : ICliContext
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
    };

    public Option<string> Contact { get; } = new("--contact")
    {
        Description = $"gateway contact points, host:port comma separated [env FABRIC_CONTACT; default {ContactPoints.DefaultContact}]",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FABRIC_CONTACT") is { Length: > 0 } c ? c : ContactPoints.DefaultContact,
    };

    public Option<double> Timeout { get; } = new("--timeout") { Description = "seconds to wait for each answer (retried twice)", Recursive = true, DefaultValueFactory = _ => 10 };

    public Option<bool> JsonOutput { get; } = new("--json") { Description = "print JSON for scripts instead of tables", Recursive = true };

    public TlsOptions Tls { get; } = new();

    public IAnsiConsole Out { get; init; } = AnsiConsole.Console;

    public TextWriter Error { get; init; } = Console.Error;

    /// <summary>Where JSON goes: plain text, never wrapped to the terminal's width.</summary>
    public TextWriter Stdout { get; init; } = Console.Out;

    public void AddTo(Command root)
    {
        root.Options.Add(Contact);
        root.Options.Add(Timeout);
        root.Options.Add(JsonOutput);
        Tls.AddTo(root);
    }

    /// <summary>Connects, runs <paramref name="body"/>, and turns what can go wrong into a message and an exit code.</summary>
    public Task<int> Run(ParseResult parse, Func<FabricVimClient, bool, Task<int>> body, CancellationToken cancellation) =>
        ClientCommand.Run(this, parse, (contact, timeout, tls) => FabricVimClient.ConnectAsync(contact, timeout, tls, 3, cancellation), body, cancellation);

    public int Fail(int code, string message)
    {
        Error.WriteLine($"fabric-vim: {message}");
        return code;
    }

    public void WriteJson(object value) => Stdout.WriteLine(JsonSerializer.Serialize(value, Json));
}
