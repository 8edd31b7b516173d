using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fabric.Vim.Cli;
using Fabric.Vim.Client;
using Spectre.Console;

namespace Fabric.Cmd.Cli;

/// <summary>
/// The options every fabric-cmd command shares (--contact, --timeout, --json), where output goes, and running a
/// command against a connection to the operator gateway with fabric-vim's exit codes: 0 done, 1 refused by the
/// fabric, 2 wrong command line, 3 no gateway answered.
/// </summary>
public sealed class CmdContext : ICliContext
{
    public const string GatewayPath = "/user/operator-gateway";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
        // Read by scripts and people, never embedded in HTML: 'aes-256-gcm->sha256' stays as it is.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public CmdContext(TextWriter stdout, TextWriter stderr)
    {
        Stdout = stdout;
        Error = stderr;
        IsTerminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        Out = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            // Redirected output is for logs and scripts: no colour codes, no cursor tricks.
            Ansi = IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = IsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!IsTerminal)
        {
            // Redirected output has no width; Spectre would wrap at 80 and split every table row in a log.
            Out.Profile.Width = 200;
        }
    }

    public Option<string> Contact { get; } = new("--contact")
    {
        Description = $"contact points of control nodes, host:port comma separated [env FABRIC_CONTACT; default {ContactPoints.DefaultContact}]",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FABRIC_CONTACT") is { Length: > 0 } c ? c : ContactPoints.DefaultContact,
    };

    public Option<double> Timeout { get; } = new("--timeout") { Description = "seconds to wait for each answer (retried twice)", Recursive = true, DefaultValueFactory = _ => 10 };

    public Option<bool> JsonOutput { get; } = new("--json") { Description = "print JSON for scripts instead of tables", Recursive = true };

    public TlsOptions Tls { get; } = new();

    /// <summary>Tables and live views for people.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>Where JSON goes: plain text, never wrapped.</summary>
    public TextWriter Stdout { get; }

    public TextWriter Error { get; }

    /// <summary>Output is a terminal a person watches (live views redraw in place only then).</summary>
    public bool IsTerminal { get; }

    public void AddTo(Command root)
    {
        root.Options.Add(Contact);
        root.Options.Add(Timeout);
        root.Options.Add(JsonOutput);
        Tls.AddTo(root);
    }

    /// <summary>Connects to the operator gateway, runs <paramref name="body"/>, and turns what can go wrong into a message and an exit code.</summary>
    public Task<int> Run(ParseResult parse, Func<FabricVimClient, bool, Task<int>> body, CancellationToken cancellation) =>
        ClientCommand.Run(this, parse, (contact, timeout, tls) => FabricVimClient.ConnectAsync(contact, GatewayPath, timeout, 3, tls, cancellation), body, cancellation);

    /// <summary>The checks of a --watch command's --interval and --count: null when usable, else the usage failure.</summary>
    public int? RefusedWatch(double seconds, int count) =>
        ClientCommand.NotPositiveSeconds("--interval", seconds) is { } wrong ? Fail(ExitCodes.Usage, wrong)
        : count < 0 ? Fail(ExitCodes.Usage, "--count must not be negative")
        : null;

    /// <summary>A usage error found after parsing (a value out of range): the message says what to type instead.</summary>
    public int Fail(int code, string message)
    {
        Error.WriteLine($"fabric-cmd: {message}");
        return code;
    }

    public void WriteJson(object value) => Stdout.WriteLine(JsonSerializer.Serialize(value, Json));
}
