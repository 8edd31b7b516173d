using System.CommandLine;
using Akka.Event;
using Fabric.Control.Configuration;

namespace Fabric.Node.Logging;

/// <summary>fabric-node's logging options: where the log file is and how much of it the console shows too.</summary>
public sealed class LogOptions
{
    private readonly Option<string?> _level = new("--log-level")
    {
        Description = "log events shown on the console too: DEBUG, INFO, WARNING or ERROR; the log file holds INFO and above (DEBUG with DEBUG) [env FABRIC_LOGLEVEL; default WARNING]",
        Recursive = true,
    };

    private readonly Option<bool> _verbose = new("--verbose", "-v") { Description = "show everything the log file gets on the console too (--log-level INFO)", Recursive = true };

    private readonly Option<string?> _file = new("--log-file")
    {
        Description = "the log file, capped at 10 MiB with 3 older files kept [env FABRIC_LOG_FILE; default logs/fabric-node-<node-name>.log beside the SQLite store, else ./data/logs/]",
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_level);
        command.Options.Add(_verbose);
        command.Options.Add(_file);
    }

    /// <summary>Command line over environment over defaults; a bad level is a <see cref="FabricConfigurationException"/>.</summary>
    public LogSettings Bind(ParseResult parse, FabricOptions options, Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        var level = parse.GetValue(_level) is { } given ? LogSettings.ParseLevel(given, "--log-level")
            : parse.GetValue(_verbose) ? LogLevel.InfoLevel
            : getenv("FABRIC_LOGLEVEL") is { Length: > 0 } env ? LogSettings.ParseLevel(env, "FABRIC_LOGLEVEL")
            : LogLevel.WarningLevel;
        var file = parse.GetValue(_file) ?? (getenv("FABRIC_LOG_FILE") is { Length: > 0 } envFile ? envFile : LogSettings.DefaultFile(options));
        return new LogSettings(Path.GetFullPath(file), level);
    }
}
