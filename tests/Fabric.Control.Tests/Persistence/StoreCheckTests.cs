using System.Diagnostics;
using System.Security.Cryptography;
using Fabric.Control.Configuration;
using Fabric.Control.Store;
using Fabric.Control.Tests.Support;
using Fabric.Messages.Profiles;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Fabric.Control.Tests.Persistence;

/// <summary>
/// The embedded store is checked before Akka opens it, through the real start-up path (<see cref="Hosting.FabricNode.StartAsync"/>,
/// whose refusal carries fabric-node's exit code), on real files: a store made by a node run, then damaged.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StoreCheckTests : IDisposable
{
    private readonly string _database = TestNode.NewDatabasePath();
    private readonly List<string> _mounts = [];
    private readonly List<string> _immutable = [];

    private string Folder => Path.GetDirectoryName(_database)!;

    private string Snapshots => SqliteStore.SnapshotPath(_database);

    [Fact]
    public async Task A_new_store_is_created_owner_only_with_its_identity_and_opens_again()
    {
        await MakeStore();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_database));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Snapshots));
        var id = Scalar(_database, $"SELECT store_id FROM {SqliteStoreCheck.IdentityTable}");
        Assert.Equal(id, Scalar(Snapshots, $"SELECT store_id FROM {SqliteStoreCheck.IdentityTable}"));

        await using var node = await TestNode.StartAsync(_database);
        Assert.True((await node.Expect<ProfileView>(node.Control.Profiles, new GetProfile("kept"))).Exists);
    }

    [Fact]
    public async Task Garbage_in_the_middle_of_a_store_is_refused_as_corrupt_and_the_file_is_not_written()
    {
        await MakeStore();
        var bytes = await File.ReadAllBytesAsync(_database);
        Assert.True(bytes.Length >= 4 * 4096, $"the store has pages to damage ({bytes.Length} bytes)");
        var garbage = new byte[bytes.Length / 3];
        new Random(18).NextBytes(garbage);
        garbage.CopyTo(bytes, bytes.Length / 3);
        await File.WriteAllBytesAsync(_database, bytes);
        var before = (Hash(_database), Hash(_database + "-wal"));

        var refused = await Refused(StoreRefusal.Corrupt);

        Assert.Contains("is damaged", refused.Message);
        Assert.Equal(before, (Hash(_database), Hash(_database + "-wal")));
    }

    [Fact]
    public async Task A_store_truncated_to_zero_bytes_is_refused_not_started_as_an_empty_fabric()
    {
        await MakeStore();
        File.WriteAllBytes(_database, []);

        var refused = await Refused(StoreRefusal.Identity);

        Assert.Contains("is empty (0 bytes)", refused.Message);
        Assert.Equal(0, new FileInfo(_database).Length);
    }

    [Fact]
    public async Task A_snapshot_file_of_another_store_is_refused_as_swapped()
    {
        await MakeStore();
        var other = TestNode.NewDatabasePath();
        await using (await TestNode.StartAsync(other))
        {
        }

        File.Copy(SqliteStore.SnapshotPath(other), Snapshots, overwrite: true);
        TestNode.TryDelete(other);

        var refused = await Refused(StoreRefusal.Identity);

        Assert.Contains("was swapped", refused.Message);
    }

    [Fact]
    public async Task A_journal_lost_beside_its_snapshots_is_refused()
    {
        await MakeStore();
        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm" })
        {
            File.Delete(file);
        }

        var refused = await Refused(StoreRefusal.Identity);

        Assert.Contains("is missing but its snapshot file", refused.Message);
        Assert.False(File.Exists(_database), "no new journal was made");
    }

    [Fact]
    public async Task A_store_of_an_older_fabric_node_without_identity_is_adopted_with_its_state()
    {
        await MakeStore();
        Execute(_database, $"DROP TABLE {SqliteStoreCheck.IdentityTable}");
        Execute(Snapshots, $"DROP TABLE {SqliteStoreCheck.IdentityTable}");

        await using (var node = await TestNode.StartAsync(_database))
        {
            Assert.True((await node.Expect<ProfileView>(node.Control.Profiles, new GetProfile("kept"))).Exists);
        }

        Assert.Equal(Scalar(_database, $"SELECT store_id FROM {SqliteStoreCheck.IdentityTable}"),
            Scalar(Snapshots, $"SELECT store_id FROM {SqliteStoreCheck.IdentityTable}"));
    }

    [Fact]
    public async Task A_store_file_with_the_immutable_flag_is_refused_as_read_only_not_started()
    {
        await MakeStore();
        SetImmutable(_database);

        var refused = await Refused(StoreRefusal.ReadOnly);

        Assert.Contains("chattr -i", refused.Message);
    }

    [Fact]
    public async Task A_store_on_a_read_only_mount_is_refused_as_read_only_not_as_in_use()
    {
        await MakeStore();
        Mount("--bind", Folder, Folder);
        Mount("-o", "remount,bind,ro", Folder);

        var refused = await Refused(StoreRefusal.ReadOnly);

        Assert.Contains("read-only file system", refused.Message);
        Assert.DoesNotContain("in use", refused.Message);
    }

    [Fact]
    public async Task A_store_whose_write_lock_another_process_holds_is_refused_as_locked()
    {
        await MakeStore();
        using var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database, Pooling = false }.ToString());
        holder.Open();
        using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            begin.ExecuteNonQuery();
        }

        var refused = await Refused(StoreRefusal.InUse);

        Assert.Contains("is locked by another process", refused.Message);
    }

    [Fact]
    public async Task A_store_on_a_full_file_system_is_refused_as_full()
    {
        // A small tmpfs of its own, filled up: a real full disk, without filling the machine's.
        Directory.CreateDirectory(Folder);
        Mount("-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", Folder);
        await MakeStore();
        using (var fill = new FileStream(Path.Combine(Folder, "fill"), FileMode.CreateNew))
        {
            // Written, not sized: a sized file on tmpfs is sparse and takes no room.
            var chunk = new byte[256 * 1024];
            Array.Fill(chunk, (byte)1);
            while (new DriveInfo(Folder).AvailableFreeSpace > 1024 * 1024)
            {
                fill.Write(chunk);
                fill.Flush();
            }
        }

        var refused = await Refused(StoreRefusal.DiskFull);

        Assert.Contains("free space on it", refused.Message);
    }

    /// <summary>A store made by a node run, with something in it.</summary>
    private async Task MakeStore()
    {
        await using var node = await TestNode.StartAsync(_database);
        await node.CreateProfile("kept", new ProfileGroup("sha256", 1));
        for (var i = 0; i < 40; i++)
        {
            await node.RegisterDevice("host-s", $"sw{i}", 2, "sha256");
        }
    }

    private async Task<FabricConfigurationException> Refused(StoreRefusal expected)
    {
        var refused = await Assert.ThrowsAsync<FabricConfigurationException>(() => TestNode.StartAsync(_database));
        Assert.True((int)expected == refused.ExitCode, $"expected exit code {(int)expected} ({expected}), got {refused.ExitCode}: {refused.Message}");
        Assert.Contains(Folder, refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
        return refused;
    }

    private static string Hash(string path) => File.Exists(path) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : "none";

    private static object? Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private void SetImmutable(string path)
    {
        Run("chattr", "+i", path);
        _immutable.Add(path);
    }

    private void Mount(params string[] arguments)
    {
        Run("mount", arguments);
        _mounts.Add(arguments[^1]);
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        if (!process.WaitForExit(10_000) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {process.StandardError.ReadToEnd()}");
        }
    }

    public void Dispose()
    {
        foreach (var path in _immutable)
        {
            Run("chattr", "-i", path);
        }

        // The node runs' pooled connections still hold the store's files open.
        SqliteConnection.ClearAllPools();
        // Innermost first: a remount is a second entry on the same point.
        foreach (var point in Enumerable.Reverse(_mounts).Distinct())
        {
            while (Mounted(point))
            {
                Run("umount", point);
            }
        }

        TestNode.TryDelete(_database);
    }

    private static bool Mounted(string point) =>
        File.ReadAllLines("/proc/self/mounts").Any(l => l.Split(' ')[1] == point);
}
