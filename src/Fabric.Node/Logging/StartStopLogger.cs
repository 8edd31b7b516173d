using Akka.Event;

namespace Fabric.Node.Logging;

/// <summary>
/// Akka's logger for the moments <see cref="FabricLogger"/> is not running: before it starts and after the actor
/// system has stopped it. Akka's own would print the shutdown's INFO lines on standard output, after the narrative;
/// this one keeps only warnings and errors, as one line each on the console.
/// </summary>
public sealed class StartStopLogger : MinimalLogger
{
    protected override void Log(object message)
    {
        if (message is LogEvent e && e.LogLevel() >= LogLevel.WarningLevel && !LogLine.IsDeadLetter(e))
        {
            ConsoleLog.Write(LogLine.OneLine(e));
        }
    }
}
