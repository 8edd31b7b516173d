using Akka.Actor;
using Akka.Event;
using Npgsql;

namespace Fabric.Control.Store;

/// <summary>
/// Watches the PostgreSQL store from a control node. A restarted server leaves every pooled connection broken,
/// and the journal finds that out one failed call at a time, each failure re-opening its circuit breaker: the
/// fabric would stay unable to write long after the server is back. So this actor probes the server on a fresh
/// (unpooled) connection, and when it answers again after failing, clears the connection pools; it logs each
/// change, so the operator sees when the store went away and came back.
/// </summary>
public sealed class PostgresWatch : ReceiveActor, IWithTimers
{
    public const string Name = "postgres-watch";
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _probe;
    private readonly string _where;
    private bool _down;
    private DateTime _since = DateTime.UtcNow;

    public PostgresWatch(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 3, CommandTimeout = 3 };
        _probe = builder.ConnectionString;
        _where = $"{builder.Host}:{builder.Port}/{builder.Database}";
        ReceiveAsync<Probe>(_ => ProbeOnce());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string connectionString) => Akka.Actor.Props.Create<PostgresWatch>(connectionString);

    protected override void PreStart() => Timers.StartPeriodicTimer(Probe.Instance, Probe.Instance, Every);

    private async Task ProbeOnce()
    {
        try
        {
            await using var connection = new NpgsqlConnection(_probe);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync();
            if (_down)
            {
                // Connections pooled before the outage are dead: drop them all, so the journal's next call succeeds.
                NpgsqlConnection.ClearAllPools();
                _log.Warning("PostgreSQL at {0} answers again after {1:0.0} s; stale pooled connections dropped", _where, (DateTime.UtcNow - _since).TotalSeconds);
                _down = false;
                _since = DateTime.UtcNow;
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            if (!_down)
            {
                _log.Error("PostgreSQL at {0} does not answer ({1}); writes are refused until it does", _where, ex.GetBaseException().Message);
                _down = true;
                _since = DateTime.UtcNow;
            }
        }
    }

    private sealed record Probe
    {
        public static Probe Instance { get; } = new();
    }
}
