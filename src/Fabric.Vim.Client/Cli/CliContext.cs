using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fabric.Security;
using Fabric.Vim.Client;
using Spectre.Console;

namespace Fabric.Vim.Cli;

/// <summary>The options every command shares, and running a command against a connected client with exit codes that mean something.</summary>
public sealed class CliContext
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
    public async Task<int> Run(ParseResult parse, Func<FabricVimClient, bool, Task<int>> body, CancellationToken cancellation)
    {
        var timeout = parse.GetValue(Timeout);
        if (timeout <= 0)
        {
            return Fail(ExitCodes.Usage, "--timeout must be positive");
        }

        try
        {
            // A malformed contact is a usage error whatever the certificate.
            ContactPoints.Parse(parse.GetValue(Contact)!);
            var tls = Tls.Load(parse);
            await using var client = await FabricVimClient.ConnectAsync(parse.GetValue(Contact)!, TimeSpan.FromSeconds(timeout), tls, 3, cancellation);
            return await body(client, parse.GetValue(JsonOutput));
        }
        catch (ContactPointException ex)
        {
            return Fail(ExitCodes.Usage, ex.Message);
        }
        catch (ClusterTlsException ex)
        {
            return Fail(ExitCodes.Usage, ex.Message);
        }
        catch (LocalTlsException ex)
        {
            // No certificate, no connection: the same code as a fabric that cannot be reached.
            return Fail(ExitCodes.Unreachable, ex.Message);
        }
        catch (FabricUnreachableException ex)
        {
            return Fail(ExitCodes.Unreachable, ex.Message);
        }
        catch (FabricRejectedException ex)
        {
            if (parse.GetValue(JsonOutput))
            {
                WriteJson(new { error = ex.Rejected.Reason.ToString(), message = ex.Rejected.Message });
            }

            return Fail(ExitCodes.Refused, $"{ex.Rejected.Reason}: {ex.Rejected.Message}");
        }
    }

    public int Fail(int code, string message)
    {
        Error.WriteLine($"fabric-vim: {message}");
        return code;
    }

    public void WriteJson(object value) => Stdout.WriteLine(JsonSerializer.Serialize(value, Json));
}
