using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Fabric.Bench.Control;

/// <summary>
/// What raw Microsoft.Data.Sqlite does on the same disk with rows of the journal's size: one row per transaction,
/// and 100 rows per transaction, both in WAL mode with the default (FULL) synchronous setting the journal has.
/// </summary>
public static class SqliteBaseline
{
    public static (double RowTxPerSecond, double BatchedRowsPerSecond) Measure(string directory, int rowBytes, TimeSpan budget)
    {
        var path = Path.Combine(directory, "baseline.db");
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Execute(connection, "CREATE TABLE rows (ordering INTEGER PRIMARY KEY AUTOINCREMENT, persistence_id TEXT NOT NULL, sequence_nr INTEGER NOT NULL, message BLOB NOT NULL);");
        var payload = new byte[Math.Max(1, rowBytes)];
        Random.Shared.NextBytes(payload);

        var single = Run(connection, payload, rowsPerTx: 1, budget);
        var batched = Run(connection, payload, rowsPerTx: 100, budget);
        return (single, batched);
    }

    private static double Run(SqliteConnection connection, byte[] payload, int rowsPerTx, TimeSpan budget)
    {
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO rows (persistence_id, sequence_nr, message) VALUES ($pid, $seq, $msg)";
        var pid = insert.Parameters.Add("$pid", SqliteType.Text);
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var msg = insert.Parameters.Add("$msg", SqliteType.Blob);
        msg.Value = payload;
        var rows = 0L;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < budget)
        {
            using var tx = connection.BeginTransaction();
            insert.Transaction = tx;
            for (var i = 0; i < rowsPerTx; i++)
            {
                pid.Value = "baseline-" + (rows % 200);
                seq.Value = rows++;
                insert.ExecuteNonQuery();
            }

            tx.Commit();
        }

        return rows / clock.Elapsed.TotalSeconds;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
