using System.Globalization;
using System.Runtime.InteropServices;
using Fabric.Control.Configuration;
using Microsoft.Data.Sqlite;

namespace Fabric.Control.Store;

/// <summary>
/// Checks the embedded store's files before Akka opens them, and creates a new store. Akka.Persistence.Sql would
/// otherwise open whatever is there: a damaged file was written to (and the read models restarted 55 times), an emptied
/// one became an empty fabric without a word, and a read-only one gave "up" and then failed every write.
/// Every check reads first (a read-only connection: nothing is written to a file that fails), and only a store that
/// passed them all is written: its identity created or adopted, WAL mode set.
/// </summary>
/// <remarks>
/// A store's identity is a row in a table of its own (<see cref="IdentityTable"/>) in both files, written when the
/// store is created: the store id, when and where it was created. fabric-node never leaves a store without it, so a
/// file that lacks it, or is empty, or whose partner file holds another id, is refused instead of silently re-created.
/// A file of an older fabric-node (journal tables, no identity) is adopted: its identity is written once.
/// </remarks>
public static partial class SqliteStoreCheck
{
    public const string IdentityTable = "fabric_store";

    /// <summary>Below this much free space the store is refused: its next writes would fail (SQLite needs room for the WAL).</summary>
    public const long MinimumFreeBytes = 16L * 1024 * 1024;

    /// <summary>Bound of the WAL file after a checkpoint (PRAGMA journal_size_limit): without it the file keeps its largest size.</summary>
    public const long WalSizeLimit = 64L * 1024 * 1024;

    // Tables of Akka.Persistence.Sql (default table mapping); their presence marks a store of an older fabric-node.
    private static readonly HashSet<string> AkkaTables = new(StringComparer.OrdinalIgnoreCase) { "journal", "tags", "journal_metadata", "snapshot" };

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const int ReadOk = 4;
    private const int WriteOk = 2;
    private const int ExecuteOk = 1;
    private const int Eperm = 1;
    private const int Eacces = 13;

    /// <summary>EAGAIN/EWOULDBLOCK: a lock held by another process.</summary>
    public const int Ewouldblock = 11;
    private const int Enospc = 28;
    private const int Erofs = 30;
    private const ulong ReadOnlyFileSystem = 1;

    /// <summary>
    /// The store's folder: created owner-only (0700) if missing; an existing one must be writable (SQLite creates its
    /// -wal and -shm files there) and have room.
    /// </summary>
    public static void PrepareFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            try
            {
                // Owner-only: the store holds every attachment and device of the fabric.
                _ = OperatingSystem.IsWindows() ? Directory.CreateDirectory(folder) : Directory.CreateDirectory(folder, OwnerOnlyFolder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Refusal(folder, ex, "creating the store's folder", what: "SQLite store folder");
            }
        }

        if (AccessError(folder, ReadOk | WriteOk | ExecuteOk) is var error and not 0)
        {
            throw Refusal(folder, error, "fabric-node creates the store's files (and SQLite its -wal and -shm files) in this folder", what: "SQLite store folder");
        }

        var free = FreeBytes(folder);
        if (free < MinimumFreeBytes)
        {
            throw StoreRefusals.Refuse(StoreRefusal.DiskFull,
                $"SQLite store folder {folder}: the file system has {free / 1024} KiB free, less than the {MinimumFreeBytes / (1024 * 1024)} MiB "
                + "the store needs to write; free space on it or move the store (--db) to a larger one");
        }
    }

    /// <summary>A refusal for a failure of the file system around <paramref name="path"/> (opening, creating, locking).</summary>
    public static FabricConfigurationException Refusal(string path, Exception ex, string doing, string what = "SQLite store")
    {
        var errno = ErrnoOf(path, ex);
        return errno == 0
            ? StoreRefusals.Refuse(StoreRefusal.Unusable, $"{what} {path}: {doing} failed ({ex.Message}); fix the file system or choose another --db", ex)
            : Refusal(path, errno, doing, ex, what);
    }

    /// <summary>
    /// The errno behind a failure of the file system at <paramref name="path"/>, or 0 if the path itself is usable
    /// (.NET on Linux keeps the errno as the HResult of the I/O exceptions it has no type for, e.g. EROFS, ENOSPC).
    /// </summary>
    public static int ErrnoOf(string path, Exception ex)
    {
        var errno = ex.HResult is > 0 and < 4096 ? ex.HResult : AccessError(path, ReadOk | WriteOk);
        if (errno == 0 && ex is UnauthorizedAccessException)
        {
            errno = Eacces;
        }

        return errno;
    }

    private static FabricConfigurationException Refusal(string path, int errno, string doing, Exception? inner = null, string what = "SQLite store") => errno switch
    {
        Erofs => StoreRefusals.Refuse(StoreRefusal.ReadOnly,
            $"{what} {path} is on a read-only file system ({doing}); remount it read-write or move the store (--db) to a writable one", inner),
        Eperm => StoreRefusals.Refuse(StoreRefusal.ReadOnly,
            $"{what} {path} may not be written (immutable or append-only: {doing}); clear the flag (chattr -i) or move the store (--db)", inner),
        Eacces => StoreRefusals.Refuse(StoreRefusal.Permission,
            $"{what} {path}: user {Environment.UserName} has no read and write access ({doing}); give it access to the file and its folder (chown/chmod) or run fabric-node as their owner", inner),
        Enospc => StoreRefusals.Refuse(StoreRefusal.DiskFull,
            $"{what} {path}: no space left on the file system ({doing}); free space on it or move the store (--db) to a larger one", inner),
        _ => StoreRefusals.Refuse(StoreRefusal.Unusable,
            $"{what} {path}: {doing} failed ({Marshal.GetPInvokeErrorMessage(errno)}); fix the file system or choose another --db", inner),
    };

    /// <summary>
    /// Checks both files and creates or adopts the store's identity; returns it. Throws a
    /// <see cref="FabricConfigurationException"/> with a <see cref="StoreRefusal"/> exit code for a store that must not be used.
    /// <paramref name="report"/> hears what was done beyond opening (a store created or adopted).
    /// </summary>
    public static StoreIdentity OpenOrCreate(string journal, string snapshots, Action<string> report)
    {
        var journalFile = Inspect(journal);
        var snapshotFile = Inspect(snapshots);

        StoreIdentity identity;
        if (journalFile is null)
        {
            if (snapshotFile is not null)
            {
                throw StoreRefusals.Refuse(StoreRefusal.Identity,
                    $"SQLite store {journal} is missing but its snapshot file {snapshots} is there: the journal was lost or moved; "
                    + "restore it from a backup, or delete the snapshot file too to start an empty fabric");
            }

            identity = new StoreIdentity(Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow, $"{Environment.MachineName}:{journal}");
            Create(journal, identity);
            Create(snapshots, identity);
            report($"SQLite store {journal}: created a new store {identity.StoreId}");
            return identity;
        }

        if (journalFile.Identity is { } stored)
        {
            identity = stored;
        }
        else if (journalFile.AkkaTables)
        {
            identity = new StoreIdentity(Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow, $"{Environment.MachineName}:{journal} (adopted)");
            report($"SQLite store {journal}: a store of an older fabric-node, adopted as store {identity.StoreId}");
        }
        else if (journalFile.OtherTables.Count > 0)
        {
            throw StoreRefusals.Refuse(StoreRefusal.Identity,
                $"SQLite store {journal} is a SQLite database of something else (tables {string.Join(", ", journalFile.OtherTables.Take(5))}), not a Fabric store; "
                + "point --db at the fabric's store, or at a path with no file to create a new one");
        }
        else
        {
            throw StoreRefusals.Refuse(StoreRefusal.Identity,
                $"SQLite store {journal} has no tables and no store identity: it was emptied (a store is never left so); "
                + "restore it from a backup, or delete it (and its snapshot file) to start an empty fabric");
        }

        if (snapshotFile?.Identity is { } other && other.StoreId != identity.StoreId)
        {
            throw StoreRefusals.Refuse(StoreRefusal.Identity,
                $"SQLite store {journal} is store {identity.StoreId} (created {identity.CreatedAt:u}) but its snapshot file {snapshots} is of store {other.StoreId} "
                + $"(created {other.CreatedAt:u}): one was swapped; put back the pair that belongs together");
        }

        if (snapshotFile is { Identity: null, AkkaTables: false, OtherTables.Count: > 0 })
        {
            throw StoreRefusals.Refuse(StoreRefusal.Identity,
                $"SQLite snapshot file {snapshots} is a SQLite database of something else, not the snapshots of store {journal}; move it away");
        }

        // Only now, both files having passed, is anything written.
        Probe(journal);
        if (journalFile.Identity is null)
        {
            WriteIdentity(journal, identity);
        }

        if (snapshotFile is null)
        {
            // Snapshots only shorten recovery (events are never deleted from the journal): a missing file is made again.
            Create(snapshots, identity);
            report($"SQLite store {journal}: its snapshot file {snapshots} was missing; created an empty one (recovery replays the journal)");
        }
        else
        {
            Probe(snapshots);
            if (snapshotFile.Identity is null)
            {
                WriteIdentity(snapshots, identity);
            }
        }

        return identity;
    }

    /// <summary>What a file holds, read without writing it; null if there is no file.</summary>
    private static Inspection? Inspect(string path)
    {
        if (!File.Exists(path))
        {
            if (new FileInfo(path + "-wal") is { Exists: true, Length: > 0 })
            {
                throw StoreRefusals.Refuse(StoreRefusal.Identity,
                    $"SQLite store {path} is missing but its write-ahead log {path}-wal is there: the store file was lost or moved; restore it from a backup, "
                    + "or delete the -wal file to start an empty fabric");
            }

            return null;
        }

        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            if (File.Exists(file) && AccessError(file, ReadOk | WriteOk) is var error and not 0)
            {
                throw Refusal(file, error, "the journal must read and write this file");
            }
        }

        if (new FileInfo(path).Length == 0)
        {
            throw StoreRefusals.Refuse(StoreRefusal.Identity,
                $"SQLite store {path} is empty (0 bytes): it was truncated (a store is never left empty); restore it from a backup, "
                + "or delete it (and its snapshot file) to start an empty fabric");
        }

        try
        {
            using var connection = Connect(path, SqliteOpenMode.ReadOnly);
            var problems = Rows(connection, "PRAGMA quick_check(5);");
            if (problems is not ["ok"])
            {
                throw StoreRefusals.Refuse(StoreRefusal.Corrupt,
                    $"SQLite store {path} is damaged (quick_check: {string.Join("; ", problems.Take(3)).ReplaceLineEndings(" ")}); it was not opened for writing: "
                    + "restore it from a backup, or move it away to start an empty fabric");
            }

            var tables = Rows(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%';");
            var identity = tables.Contains(IdentityTable) ? ReadIdentity(connection, path) : null;
            return new Inspection(
                identity,
                tables.Any(AkkaTables.Contains),
                tables.Where(t => t != IdentityTable && !AkkaTables.Contains(t)).ToArray());
        }
        catch (SqliteException ex)
        {
            throw Refusal(path, ex, "reading it");
        }
    }

    private static StoreIdentity ReadIdentity(SqliteConnection connection, string path)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT store_id, created_at, created_as FROM {IdentityTable} LIMIT 1;";
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw StoreRefusals.Refuse(StoreRefusal.Identity,
                $"SQLite store {path} has lost its store identity (table {IdentityTable} is empty): restore it from a backup");
        }

        return new StoreIdentity(reader.GetString(0), DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture), reader.GetString(2));
    }

    /// <summary>Whether the file can be written, without writing it: a write transaction begun and rolled back.</summary>
    private static void Probe(string path)
    {
        try
        {
            using var connection = Connect(path, SqliteOpenMode.ReadWrite);
            if (SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1)
            {
                throw Refusal(path, AccessError(path, ReadOk | WriteOk) is var e and not 0 ? e : Erofs, "SQLite opened it read-only");
            }

            Execute(connection, "BEGIN IMMEDIATE; ROLLBACK;");
        }
        catch (SqliteException ex)
        {
            throw Refusal(path, ex, "beginning a write");
        }
    }

    private static void Create(string path, StoreIdentity identity)
    {
        try
        {
            // Owner-only from the first byte: the journal holds every attachment and device of the fabric.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnlyFile;
            }

            using (new FileStream(path, options))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Refusal(path, ex, "creating the store file");
        }

        WriteIdentity(path, identity);
    }

    private static void WriteIdentity(string path, StoreIdentity identity)
    {
        try
        {
            using var connection = Connect(path, SqliteOpenMode.ReadWrite);
            var mode = Rows(connection, "PRAGMA journal_mode=WAL;");
            if (mode is not ["wal"])
            {
                throw StoreRefusals.Refuse(StoreRefusal.Unusable, $"SQLite store {path}: could not switch to WAL mode (got '{string.Join(",", mode)}'); move the store (--db) to a local file system");
            }

            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"""
                CREATE TABLE IF NOT EXISTS {IdentityTable} (store_id TEXT NOT NULL, created_at TEXT NOT NULL, created_as TEXT NOT NULL);
                INSERT INTO {IdentityTable} (store_id, created_at, created_as) VALUES ($id, $at, $as);
                """;
            command.Parameters.AddWithValue("$id", identity.StoreId);
            command.Parameters.AddWithValue("$at", identity.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$as", identity.CreatedAs);
            command.ExecuteNonQuery();
            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw Refusal(path, ex, "writing its store identity");
        }
    }

    /// <summary>A refusal for a SQLite error, by its primary result code.</summary>
    private static FabricConfigurationException Refusal(string path, SqliteException ex, string doing) => ex.SqliteErrorCode switch
    {
        // SQLITE_BUSY, SQLITE_LOCKED
        5 or 6 => StoreRefusals.Refuse(StoreRefusal.InUse,
            $"SQLite store {path} is locked by another process ({doing}: {ex.Message}); stop the process that holds it (sqlite3, a backup) and start again", ex),
        // SQLITE_READONLY
        8 => Refusal(path, AccessError(path, ReadOk | WriteOk) is var e and not 0 ? e : Erofs, doing, ex),
        // SQLITE_PERM, SQLITE_AUTH
        3 or 23 => Refusal(path, Eacces, doing, ex),
        // SQLITE_CANTOPEN: the file or the folder's -wal/-shm files
        14 => Refusal(path, AccessError(path, ReadOk | WriteOk) is var e and not 0 ? e : AccessError(Path.GetDirectoryName(path)!, WriteOk | ExecuteOk) is var f and not 0 ? f : Eacces, doing, ex),
        // SQLITE_FULL
        13 => Refusal(path, Enospc, doing, ex),
        // SQLITE_CORRUPT, SQLITE_NOTADB
        11 or 26 => StoreRefusals.Refuse(StoreRefusal.Corrupt,
            $"SQLite store {path} is damaged ({ex.Message}); it was not opened for writing: restore it from a backup, or move it away to start an empty fabric", ex),
        _ => StoreRefusals.Refuse(StoreRefusal.Unusable,
            $"SQLite store {path}: {doing} failed ({ex.Message}); check the file system (dmesg) or move the store (--db)", ex),
    };

    private static SqliteConnection Connect(string path, SqliteOpenMode mode)
    {
        // No pooling: the handle is closed here, before Akka opens the file. A short busy timeout: a write lock held
        // by another process for seconds is a refusal, not a start that hangs.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = 3 }.ToString());
        connection.Open();
        return connection;
    }

    private static List<string> Rows(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(reader.GetValue(0)?.ToString() ?? "");
        }

        return rows;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>0 if this process may access <paramref name="path"/> so, else the errno (EACCES, EROFS, EPERM for an immutable file).</summary>
    private static int AccessError(string path, int mode) => Access(path, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    private static long FreeBytes(string folder)
    {
        if (StatVfs(folder, out var stat) != 0)
        {
            return long.MaxValue;
        }

        // A read-only file system is told apart by access(2) above; here only the room counts.
        return (stat.Flags & ReadOnlyFileSystem) != 0 ? long.MaxValue : (long)Math.Min(stat.AvailableBlocks * stat.FragmentSize, long.MaxValue);
    }

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatVfs(string path, out StatVfsBuffer buffer);

    /// <summary>struct statvfs of 64-bit Linux (glibc and musl agree on the fields used here).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfsBuffer
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong FreeBlocks;
        public ulong AvailableBlocks;
        public ulong Files;
        public ulong FreeFiles;
        public ulong AvailableFiles;
        public ulong FileSystemId;
        public ulong Flags;
        public ulong MaxNameLength;
        public unsafe fixed int Spare[6];
    }

    private sealed record Inspection(StoreIdentity? Identity, bool AkkaTables, IReadOnlyList<string> OtherTables);
}

/// <summary>Which store a file belongs to: written in both of its files when the store is created.</summary>
public sealed record StoreIdentity(string StoreId, DateTimeOffset CreatedAt, string CreatedAs);
