using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
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
/// It also checkpoints the WAL into the database file every <see cref="CheckpointInterval"/>, on a thread of its own,
/// beside the writer (a passive checkpoint waits for no one). The connections leave checkpoints to it
/// (<see cref="SqliteJournalConnections"/>).
/// </remarks>
public sealed class SqliteJournal : SqlWriteJournal
{
    private readonly string _connectionString;
    private readonly string _selectIds;
    private readonly object _gate = new();
    private readonly HashSet<int> _written = [];
    private Task<bool>? _loaded;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ICancelable? _checkpoints;
    private bool _checkpointing;
    private bool _checkpointFailing;

    public static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(100);

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

    protected override void PreStart()
    {
        base.PreStart();
        _checkpoints = Context.System.Scheduler.ScheduleTellRepeatedlyCancelable(
            CheckpointInterval, CheckpointInterval, Self, Checkpoint.Instance, ActorRefs.NoSender);
    }

    protected override void PostStop()
    {
        _checkpoints?.Cancel();
        base.PostStop();
    }

    protected override bool ReceivePluginInternal(object message)
    {
        switch (message)
        {
            case Checkpoint when !_checkpointing:
                _checkpointing = true;
                BlockingIoScheduler.Sqlite.Run(CheckpointWal, CancellationToken.None).PipeTo(Self, success: frames => new Checkpointed(frames, null), failure: ex => new Checkpointed(0, ex));
                return true;
            case Checkpoint:
                return true;
            case Checkpointed done:
                _checkpointing = false;
                if (done.Failure is not null && !_checkpointFailing)
                {
                    // Said once, not ten times a second.
                    _log.Warning("WAL checkpoint of the journal failed ({0}); the WAL grows until one succeeds", done.Failure.Message);
                }
                else if (done.Failure is null && _checkpointFailing)
                {
                    _log.Info("WAL checkpoints of the journal succeed again ({0} frames left in the WAL)", done.FramesLeft);
                }

                _checkpointFailing = done.Failure is not null;
                return true;
            default:
                return base.ReceivePluginInternal(message);
        }
    }

    /// <summary>A passive checkpoint: copies what no reader still needs; returns the frames left in the WAL.</summary>
    private long CheckpointWal()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using (var limit = connection.CreateCommand())
        {
            // The connection that finds the WAL fully copied may be the one that restarts it: it bounds the file too.
            limit.CommandText = $"PRAGMA journal_size_limit = {SqliteStoreCheck.WalSizeLimit};";
            limit.ExecuteNonQuery();
        }

        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        using var reader = command.ExecuteReader();
        return reader.Read() ? reader.GetInt64(1) - reader.GetInt64(2) : 0;
    }

    private sealed class Checkpoint
    {
        public static readonly Checkpoint Instance = new();
    }

    private sealed record Checkpointed(long FramesLeft, Exception? Failure);

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
            return _loaded ??= BlockingIoScheduler.Sqlite.Run(LoadIds, CancellationToken.None);
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
