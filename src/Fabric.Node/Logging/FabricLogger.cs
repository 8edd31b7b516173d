using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Fabric.Node.Logging;

/// <summary>
/// fabric-node's Akka logger: every event to the log file, and those at the console level and above (WARNING by
/// default) to standard error as one line each, so the console keeps Fabric's own narrative. Dead-letter reports
/// while the node shuts down in order stay out of the console. A log file that cannot be written is said once; the
/// console then gets what the file would have.
/// </summary>
public sealed class FabricLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly LogSettings _settings = LogSettings.FromConfig(Context.System.Settings.Config);
    private RollingLogFile? _file;

    public FabricLogger()
    {
        _file = new RollingLogFile(_settings.File, _settings.MaxBytes, _settings.Keep);
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Handle);
    }

    private void Handle(LogEvent e)
    {
        var toFile = _file is not null;
        if (_file is { } file)
        {
            try
            {
                file.Write(LogLine.Full(e));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                ConsoleLog.Write($"fabric-node: the log file {_settings.File} cannot be written ({ex.Message}); logs go to the console only");
                file.Dispose();
                _file = null;
                toFile = false;
            }
        }

        var level = toFile ? _settings.ConsoleLevel : _settings.FileLevel;
        if (e.LogLevel() >= level && !(LogLine.IsDeadLetter(e) && ShuttingDown()))
        {
            ConsoleLog.Write(LogLine.OneLine(e));
        }
    }

    private bool ShuttingDown() => CoordinatedShutdown.Get(Context.System).ShutdownReason is not null || Context.System.WhenTerminated.IsCompleted;

    protected override void PostStop() => _file?.Dispose();
}
