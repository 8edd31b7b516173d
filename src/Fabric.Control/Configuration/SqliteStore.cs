using Fabric.Control.Store;

namespace Fabric.Control.Configuration;

/// <summary>
/// Readies the embedded SQLite store: it is this process's alone, its folder exists, and its files passed
/// <see cref="SqliteStoreCheck"/> (or were created) before the journal opens them.
/// </summary>
public static class SqliteStore
{
    /// <summary>
    /// Takes the store for this process, checks and readies its files. The store serves one process: two nodes writing
    /// one journal would give out the same sequence numbers, and the journal (<see cref="Store.SqliteJournal"/>) counts on
    /// being the only writer. The lock (a <c>.lock</c> file beside the store) is held until the returned object is
    /// disposed, or the process ends. A store that must not be used is a <see cref="FabricConfigurationException"/>
    /// whose exit code is a <see cref="StoreRefusal"/>.
    /// WAL lets readers (recovery, the read model's queries) run beside the journal's writer, and turns each commit
    /// into an append; the mode is stored in the file, so setting it once before the journal opens is enough.
    /// </summary>
    public static IDisposable Open(string path, Action<string>? report = null)
    {
        var full = Path.GetFullPath(path);
        SqliteStoreCheck.PrepareFolder(Path.GetDirectoryName(full)!);
        var store = Lock(full);
        try
        {
            SqliteStoreCheck.OpenOrCreate(full, SnapshotPath(full), report ?? (_ => { }));
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static FileStream Lock(string full)
    {
        var lockPath = full + ".lock";
        try
        {
            // FileShare.None is an exclusive flock on Linux: another process (or another node in this one) is refused.
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            return new FileStream(lockPath, options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A lock file this user may not open, or a read-only file system, is not another node.
            if (SqliteStoreCheck.ErrnoOf(lockPath, ex) is not (0 or SqliteStoreCheck.Ewouldblock))
            {
                throw SqliteStoreCheck.Refusal(lockPath, ex, "taking the store's lock file");
            }

            throw StoreRefusals.Refuse(StoreRefusal.InUse,
                $"SQLite store {full} is in use by another fabric-node (it holds {lockPath}); the embedded store serves one node: "
                + "stop the other one, give this one its own --db, or run a cluster on PostgreSQL (--store postgres)", ex);
        }
    }

    /// <summary>The snapshot file beside the journal file: <c>fabric.db</c> -> <c>fabric-snapshots.db</c>.</summary>
    public static string SnapshotPath(string journalPath) =>
        Path.Combine(Path.GetDirectoryName(journalPath) ?? ".", Path.GetFileNameWithoutExtension(journalPath) + "-snapshots" + Path.GetExtension(journalPath));
}
