using Akka.Configuration;
using Akka.Event;
using Fabric.Control.Configuration;

namespace Fabric.Node.Logging;

/// <summary>
/// Where fabric-node's logs go: every event at <see cref="FileLevel"/> and above to <see cref="File"/> (capped at
/// <see cref="MaxBytes"/>, <see cref="Keep"/> older files kept), and those at <see cref="ConsoleLevel"/> and above to
/// standard error as one line each. Carried to <see cref="FabricLogger"/> in the actor system's configuration.
/// </summary>
public sealed record LogSettings(string File, LogLevel ConsoleLevel, long MaxBytes = LogSettings.DefaultMaxBytes, int Keep = 3)
{
    public const long DefaultMaxBytes = 10L * 1024 * 1024;

    /// <summary>The file holds at least INFO, and more when the console is asked for more (DEBUG).</summary>
    public LogLevel FileLevel => ConsoleLevel < LogLevel.InfoLevel ? ConsoleLevel : LogLevel.InfoLevel;

    /// <summary>The default log file: beside the SQLite store, else in ./data; one per node name, so nodes sharing a folder do not mix.</summary>
    public static string DefaultFile(FabricOptions options)
    {
        var folder = options.Store == StoreKind.Sqlite ? Path.GetDirectoryName(Path.GetFullPath(options.Database))! : Path.GetFullPath("data");
        return Path.Combine(folder, "logs", $"fabric-node-{options.NodeName}.log");
    }

    /// <summary>The HOCON that installs <see cref="FabricLogger"/> in place of Akka's standard-output logger.</summary>
    public string ToHocon() => $$"""
        akka.loggers = ["{{typeof(FabricLogger).FullName}}, {{typeof(FabricLogger).Assembly.GetName().Name}}"]
        akka.stdout-logger-class = "{{typeof(StartStopLogger).FullName}}, {{typeof(StartStopLogger).Assembly.GetName().Name}}"
        akka.loglevel = {{Name(FileLevel)}}
        fabric.log {
          file = "{{File.Replace("\\", "\\\\").Replace("\"", "\\\"")}}"
          console-level = {{Name(ConsoleLevel)}}
          max-bytes = {{MaxBytes}}
          keep = {{Keep}}
        }
        """;

    public static LogSettings FromConfig(Config config) => new(
        config.GetString("fabric.log.file"),
        ParseLevel(config.GetString("fabric.log.console-level"), "fabric.log.console-level"),
        config.GetLong("fabric.log.max-bytes", DefaultMaxBytes),
        config.GetInt("fabric.log.keep", 3));

    public static LogLevel ParseLevel(string value, string source) => value.Trim().ToUpperInvariant() switch
    {
        "DEBUG" => LogLevel.DebugLevel,
        "INFO" => LogLevel.InfoLevel,
        "WARNING" or "WARN" => LogLevel.WarningLevel,
        "ERROR" => LogLevel.ErrorLevel,
        _ => throw new FabricConfigurationException($"{source}: a log level is DEBUG, INFO, WARNING or ERROR; got '{value}'"),
    };

    public static string Name(LogLevel level) => level switch
    {
        LogLevel.DebugLevel => "DEBUG",
        LogLevel.InfoLevel => "INFO",
        LogLevel.WarningLevel => "WARNING",
        _ => "ERROR",
    };
}
