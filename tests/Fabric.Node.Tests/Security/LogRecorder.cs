using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;

namespace Fabric.Node.Tests.Security;

/// <summary>
/// The warnings and errors an actor system logs, kept for assertions (formatted messages with their source). It is the
/// system's logger (<see cref="Hocon"/>), so it hears everything from the start, the remoting layer's first words too.
/// </summary>
public sealed class LogRecorder
{
    private static readonly ConcurrentDictionary<string, LogRecorder> Recorders = new();
    private readonly ConcurrentQueue<string> _lines = new();

    private LogRecorder(string id) => Id = id;

    public string Id { get; }

    /// <summary>The configuration that makes a system log into this recorder.</summary>
    public string Hocon => $$"""
        akka.loggers = ["{{typeof(RecordingLogger).AssemblyQualifiedName}}"]
        fabric.test-log-recorder = "{{Id}}"
        """;

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public static LogRecorder Create()
    {
        var recorder = new LogRecorder(Guid.NewGuid().ToString("N"));
        Recorders[recorder.Id] = recorder;
        return recorder;
    }

    /// <summary>Waits until a line containing <paramref name="text"/> is logged; fails with everything logged if none is by the deadline.</summary>
    public Task<string> AwaitLine(string text, TimeSpan within) =>
        Eventually.Found(() => Task.FromResult(_lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal))),
            $"a log line with '{text}'", within, describe: () => $"logged:\n{this}");

    /// <summary>Forgets the recorder once its system is gone.</summary>
    public void Release() => Recorders.TryRemove(Id, out _);

    public override string ToString() => string.Join("\n", _lines);

    /// <summary>Akka's logger actor, made by the logging bus from <c>akka.loggers</c>; finds its recorder through the configuration.</summary>
    public sealed class RecordingLogger : ReceiveActor
    {
        public RecordingLogger()
        {
            var recorder = Recorders[Context.System.Settings.Config.GetString("fabric.test-log-recorder")];
            Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
            Receive<LogEvent>(e => recorder._lines.Enqueue(
                $"[{e.LogLevel()}] [{e.LogSource}] {e.Message}{(e is Error { Cause: { } cause } ? " -- " + cause.Message : "")}"));
        }
    }
}
