using System.Data.Common;
using System.Runtime.CompilerServices;
using LinqToDB.Interceptors;
using Microsoft.Data.Sqlite;

namespace Fabric.Control.Store;

/// <summary>
/// Connections to the journal's SQLite file leave WAL checkpoints to <see cref="SqliteJournal"/>'s background
/// checkpoint. SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1000 pages. Here that is
/// always the journal's writer, and every write waited for it: binds stalled 200-350 ms once every few seconds
/// (fabric-bench control, the journal's own timestamps). They also bound the WAL file (journal_size_limit).
/// </summary>
public sealed class SqliteJournalConnections : IConnectionInterceptor
{
    public static readonly SqliteJournalConnections Instance = new();

    private static readonly object Done = new();

    // The pragma belongs to SQLite's connection handle, which the pool keeps across opens: set it once per handle.
    private readonly ConditionalWeakTable<object, object> _configured = new();

    private SqliteJournalConnections()
    {
    }

    public void ConnectionOpening(ConnectionEventData eventData, DbConnection connection)
    {
    }

    public Task ConnectionOpeningAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
    {
        if (connection is not SqliteConnection { Handle: { } handle } || _configured.TryGetValue(handle, out _))
        {
            return;
        }

        using var command = connection.CreateCommand();
        // journal_size_limit: after a checkpoint the WAL is reused from its start, and the next commit cuts the file to
        // this size; without it the file keeps the largest size a burst (or a reader holding a checkpoint back) gave it.
        command.CommandText = $"PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {SqliteStoreCheck.WalSizeLimit};";
        command.ExecuteNonQuery();
        _configured.AddOrUpdate(handle, Done);
    }

    public Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
    {
        ConnectionOpened(eventData, connection);
        return Task.CompletedTask;
    }
}
