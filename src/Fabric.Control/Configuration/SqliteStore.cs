using Microsoft.Data.Sqlite;

namespace Fabric.Control.Configuration;

/// <summary>Readies the embedded SQLite store: its folder exists and the file is in WAL mode.</summary>
public static class SqliteStore
{
    /// <summary>
    /// WAL lets readers (recovery, the read model's queries) run beside the journal's writer, and turns each commit
    /// into an append; the mode is stored in the file, so setting it once before the journal opens is enough.
    /// </summary>
    public static void Prepare(string path)
    {
        PrepareFile(path);
        PrepareFile(SnapshotPath(path));
    }

    /// <summary>The snapshot file beside the journal file: <c>fabric.db</c> -> <c>fabric-snapshots.db</c>.</summary>
    public static string SnapshotPath(string journalPath) =>
        Path.Combine(Path.GetDirectoryName(journalPath) ?? ".", Path.GetFileNameWithoutExtension(journalPath) + "-snapshots" + Path.GetExtension(journalPath));

    private static void PrepareFile(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new FabricConfigurationException($"SQLite store {full}: could not switch to WAL mode (got '{mode}')");
        }
    }
}
