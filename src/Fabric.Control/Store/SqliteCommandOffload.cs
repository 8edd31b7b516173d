using System.Data;
using System.Data.Common;
using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using LinqToDB.Common;
using LinqToDB.Interceptors;

namespace Fabric.Control.Store;

/// <summary>
/// Runs the SQLite store's commands on threads of their own (<see cref="BlockingIoScheduler.Sqlite"/>) instead of on the
/// caller's thread.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite has no real asynchronous I/O: its <c>ExecuteNonQueryAsync</c> inserts, commits and fsyncs
/// before it returns. Akka.Persistence.Sql calls its writer from inside the journal's write stream. So each write
/// finished before the stream took its next element, the stream's batching stage never held more than one, and every
/// event cost a transaction and an fsync of its own. Reads (recovery's highest sequence number and replay) ran on the
/// journal actor itself, one at a time. Once each command is a task that is still running when it is handed back, the
/// stream queues the events that arrive during a write and writes them together next, in one transaction. The
/// journal actor also goes on with other work while a read runs.
/// </remarks>
public sealed class SqliteCommandOffload : ICommandInterceptor
{
    public static readonly SqliteCommandOffload Instance = new();

    /// <summary>The Akka.Persistence.Sql plugins a SQLite store's actor system runs, keyed as their <c>plugin-id</c>.</summary>
    private static readonly string[] Plugins =
    [
        "akka.persistence.journal.sql",
        "akka.persistence.query.journal.sql",
        "akka.persistence.snapshot-store.sql",
    ];

    private SqliteCommandOffload()
    {
    }

    /// <summary>
    /// The linq2db options of each SQLite plugin in <paramref name="config"/>: its connection string and provider, with
    /// this interceptor. Akka.Persistence.Sql takes them from the actor system's setup.
    /// </summary>
    public static MultiDataOptionsSetup Setup(Config config)
    {
        var setup = new MultiDataOptionsSetup();
        foreach (var plugin in Plugins)
        {
            var connection = config.GetString($"{plugin}.connection-string");
            var provider = config.GetString($"{plugin}.provider-name");
            var options = new DataOptions().UseConnectionString(provider, connection).UseInterceptor(Instance);
            if (plugin != "akka.persistence.snapshot-store.sql")
            {
                // The journal's file: checkpoints run in the background, not inside the writer's commits.
                options = options.UseInterceptor(SqliteJournalConnections.Instance);
            }

            setup.AddDataOptions(plugin, options);
        }

        return setup;
    }

    public DbCommand CommandInitialized(CommandEventData eventData, DbCommand command) => command;

    public Option<object?> ExecuteScalar(CommandEventData eventData, DbCommand command, Option<object?> result) => result;

    public Option<int> ExecuteNonQuery(CommandEventData eventData, DbCommand command, Option<int> result) => result;

    public Option<DbDataReader> ExecuteReader(CommandEventData eventData, DbCommand command, CommandBehavior commandBehavior, Option<DbDataReader> result) => result;

    public void AfterExecuteReader(CommandEventData eventData, DbCommand command, CommandBehavior commandBehavior, DbDataReader dataReader)
    {
    }

    public void BeforeReaderDispose(CommandEventData eventData, DbCommand? command, DbDataReader dataReader)
    {
    }

    public Task BeforeReaderDisposeAsync(CommandEventData eventData, DbCommand? command, DbDataReader dataReader) => Task.CompletedTask;

    public async Task<Option<object?>> ExecuteScalarAsync(CommandEventData eventData, DbCommand command, Option<object?> result, CancellationToken cancellationToken) =>
        result.HasValue ? result : Option<object?>.Some(await BlockingIoScheduler.Sqlite.Run(command.ExecuteScalar, cancellationToken).ConfigureAwait(false));

    public async Task<Option<int>> ExecuteNonQueryAsync(CommandEventData eventData, DbCommand command, Option<int> result, CancellationToken cancellationToken) =>
        result.HasValue ? result : Option<int>.Some(await BlockingIoScheduler.Sqlite.Run(command.ExecuteNonQuery, cancellationToken).ConfigureAwait(false));

    public async Task<Option<DbDataReader>> ExecuteReaderAsync(
        CommandEventData eventData, DbCommand command, CommandBehavior commandBehavior, Option<DbDataReader> result, CancellationToken cancellationToken) =>
        result.HasValue ? result : Option<DbDataReader>.Some(await BlockingIoScheduler.Sqlite.Run(() => command.ExecuteReader(commandBehavior), cancellationToken).ConfigureAwait(false));
}
