using Microsoft.Data.Sqlite;

namespace Fabric.Control.Configuration;

/// <summary>
/// Readies the embedded SQLite store: it is this process's alone, its folder exists and the file is in WAL mode.
/// </summary>
public static class SqliteStore
{
    /// <summary>
    /// Takes the store for this process and readies its files. The store serves one process: two nodes writing one
    /// journal would give out the same sequence numbers, and the journal (<see cref="Store.SqliteJournal"/>) counts on
    /// being the only writer. The lock (a <c>.lock</c> file beside the store) is held until the returned object is
    /// disposed, or the process ends.
    /// WAL lets readers (recovery, the read model's queries) run beside the journal's writer, and turns each commit
    /// into an append; the mode is stored in the file, so setting it once before the journal opens is enough.
    /// </summary>
    public static IDisposable Open(string path)
    {
        var store = Lock(path);
        try
        {
            PrepareFile(path);
            PrepareFile(SnapshotPath(path));
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static FileStream Lock(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var lockPath = full + ".lock";
        try
        {
            // FileShare.None is an exclusive flock on Linux: another process (or another node in this one) is refused.
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new FabricConfigurationException(
                $"SQLite store {full} is in use by another fabric-node (it holds {lockPath}); the embedded store serves one node: "
                + "stop the other one, give this one its own --db, or run a cluster on PostgreSQL (--store postgres)", ex);
        }
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
