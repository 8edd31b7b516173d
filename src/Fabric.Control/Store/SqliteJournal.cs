using System.Collections.Immutable;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Journal;
using Fabric.Control.Configuration;
using Microsoft.Data.Sqlite;

namespace Fabric.Control.Store;

/// <summary>
/// The embedded SQLite store's write journal: Akka.Persistence.Sql's, which also knows which persistence ids were
/// never written, so an entity starting for the first time is not looked up in the database.
/// </summary>
/// <remarks>
/// Every entity asks the journal for its highest sequence number when it starts. Every bind cycle starts a new
/// attachment, and that query (linq2db building it, SQLite running it) was an eighth of the control plane's CPU
/// (perf, fabric-bench control). This journal reads the ids in the journal once, at its first recovery, and adds every
/// id it is given to write before writing it. An id not among them has no events, and its answer is 0 without a
/// query. Ids are kept as hashes. Two ids with the same hash only cost a query, never a wrong answer.
/// This holds because this process is the file's only writer: <see cref="SqliteStore"/> locks the store for the
/// node's lifetime.
/// </remarks>
public sealed class SqliteJournal : SqlWriteJournal
{
    private readonly string _connectionString;
    private readonly string _selectIds;
    private readonly object _gate = new();
    private readonly HashSet<int> _written = [];
    private Task<bool>? _loaded;

    public SqliteJournal(Config journalConfig)
        : base(journalConfig)
    {
        var config = journalConfig.WithFallback(SqlPersistence.DefaultJournalConfiguration);
        if (config.GetString("table-mapping") != "default")
        {
            throw new FabricConfigurationException(
                $"{nameof(SqliteJournal)} reads the journal table of the 'default' table mapping, not '{config.GetString("table-mapping")}'");
        }

        _connectionString = config.GetString("connection-string");
        var table = config.GetString("default.journal.table-name");
        var column = config.GetString("default.journal.columns.persistence-id");
        _selectIds = $"SELECT DISTINCT \"{column}\" FROM \"{table}\"";
    }

    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        if (await Loaded() && !MayHaveEvents(persistenceId))
        {
            return 0;
        }

        return await base.ReadHighestSequenceNrAsync(persistenceId, fromSequenceNr, cancellationToken);
    }

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages as IReadOnlyCollection<AtomicWrite> ?? messages.ToList();
        lock (_gate)
        {
            foreach (var write in writes)
            {
                _written.Add(write.PersistenceId.GetHashCode());
            }
        }

        return base.WriteMessagesAsync(writes, cancellationToken);
    }

    private bool MayHaveEvents(string persistenceId)
    {
        lock (_gate)
        {
            return _written.Contains(persistenceId.GetHashCode());
        }
    }

    /// <summary>Whether the ids in the journal are known; if reading them failed, every start asks the database.</summary>
    private Task<bool> Loaded()
    {
        lock (_gate)
        {
            return _loaded ??= Task.Run(LoadIds);
        }
    }

    private bool LoadIds()
    {
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = _selectIds;
            using var reader = command.ExecuteReader();
            var ids = new List<int>();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0).GetHashCode());
            }

            lock (_gate)
            {
                _written.UnionWith(ids);
            }

            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }
}
