using Akka.Actor;
using Akka.Event;

namespace Fabric.Vim.Client;

/// <summary>
/// Keeps what the client's remoting layer said about TLS (a refused certificate, a failed handshake), so that a
/// connection that fails because of it can say so instead of only "no gateway answered". The client prints no log.
/// </summary>
internal sealed class TlsFailureListener
{
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _refusal;
    private volatile string? _last;

    private TlsFailureListener()
    {
    }

    /// <summary>The clearest TLS failure heard: Fabric's own refusal of a certificate first, else the last handshake error.</summary>
    public string? Last => _refusal ?? _last;

    /// <summary>Completes when the first TLS failure is heard.</summary>
    public Task Failed => _failed.Task;

    public static TlsFailureListener Start(ActorSystem system)
    {
        var listener = new TlsFailureListener();
        var actor = system.ActorOf(Props.Create(() => new Subscriber(listener)), "tls-failures");
        system.EventStream.Subscribe(actor, typeof(Warning));
        system.EventStream.Subscribe(actor, typeof(Error));
        return listener;
    }

    private void Heard(LogEvent logEvent)
    {
        var text = logEvent.Message?.ToString() ?? "";
        if (!text.Contains("TLS", StringComparison.Ordinal))
        {
            return;
        }

        // Akka's handshake errors run to a dozen lines of generic advice; the first ones say what happened.
        var summary = string.Join(" ", text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.EndsWith(':')).Take(2));
        if (text.StartsWith("TLS: refused", StringComparison.Ordinal))
        {
            _refusal ??= summary;
        }
        else
        {
            _last = summary;
        }

        _failed.TrySetResult();
    }

    private sealed class Subscriber : ReceiveActor
    {
        public Subscriber(TlsFailureListener listener) => Receive<LogEvent>(listener.Heard);
    }
}
