using System.Diagnostics;
using System.Runtime.InteropServices;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Guest;
using Fabric.Dataplane.Handoff;
using Fabric.Dataplane.Native;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Security;

/// <summary>Issue 14, item 2: a guest gets a sealed memfd over a socket and cannot change its size.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SealedChannelTests : IDisposable
{
    private readonly string _folder = ChannelDirectory.ForNode(ChannelDirectory.DefaultRoot, "sealed-test-" + Guid.NewGuid().ToString("N")[..8], 1);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static ChannelGeometry Small => new(64, 64, 8, 4096);

    [Fact]
    public async Task A_guest_cannot_shrink_grow_or_reseal_its_channel_and_every_channel_keeps_being_served()
    {
        var engine = new AccelerationEngine(QuickOptions());
        await using var _ = engine;
        var hostile = ChannelFile.CreateSealed("hostile", Small);
        var other = ChannelFile.CreateSealed("other", Small);
        await engine.AddQueue("hostile", hostile, new Sha256Driver());
        await engine.AddQueue("other", other, new Sha256Driver());
        using var hostileServer = ChannelServer.Start(ChannelDirectory.SocketPath(_folder, "hostile"), hostile);
        using var otherServer = ChannelServer.Start(ChannelDirectory.SocketPath(_folder, "other"), other);

        using (var fd = ChannelClient.Receive(hostileServer.SocketPath, Patience))
        {
            var raw = (int)fd.DangerousGetHandle();
            Assert.Equal(-1, Libc.Ftruncate(raw, 0));
            Assert.Equal(Libc.EPERM, Marshal.GetLastPInvokeError());
            Assert.Equal(-1, Libc.Ftruncate(raw, hostile.Length * 2));
            Assert.Equal(Libc.EPERM, Marshal.GetLastPInvokeError());
            Assert.Equal(-1, Libc.Fcntl(raw, Libc.F_ADD_SEALS, Libc.F_SEAL_WRITE));
            Assert.Equal(Libc.EPERM, Marshal.GetLastPInvokeError());
            Assert.Equal(Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_SEAL, Libc.Fcntl(raw, Libc.F_GET_SEALS, 0));
            Assert.Equal(hostile.Length, new FileStream(fd, FileAccess.ReadWrite, 0).Length);
        }

        using var guest = GuestChannel.Open(hostileServer.SocketPath);
        using var neighbour = GuestChannel.Open(otherServer.SocketPath);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(OpStatus.Ok, guest.SubmitAndWait(Data((ulong)i, OpCode.Forward, 0, 0, 100, 1, 32), Patience).Status);
            Assert.Equal(OpStatus.Ok, neighbour.SubmitAndWait(Data((ulong)i, OpCode.Forward, 0, 0, 100, 1, 32), Patience).Status);
        }
        Assert.Equal(ChannelState.Active, engine.GetStats("hostile")!.State);
        Assert.Equal(ChannelState.Active, engine.GetStats("other")!.State);
        Assert.True(hostileServer.Served >= 2);
    }

    [Fact]
    public async Task A_hostile_guest_process_truncating_its_channel_gets_EPERM_and_the_AC_serves_it_and_its_neighbour()
    {
        var engine = new AccelerationEngine(QuickOptions());
        await using var _ = engine;
        var hostile = ChannelFile.CreateSealed("hostile", Small);
        var other = ChannelFile.CreateSealed("other", Small);
        await engine.AddQueue("hostile", hostile, new Sha256Driver());
        await engine.AddQueue("other", other, new Sha256Driver());
        using var hostileServer = ChannelServer.Start(ChannelDirectory.SocketPath(_folder, "hostile"), hostile);
        using var otherServer = ChannelServer.Start(ChannelDirectory.SocketPath(_folder, "other"), other);
        using var neighbour = GuestChannel.Open(otherServer.SocketPath);

        var start = new ProcessStartInfo(Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(Process.GuestProgram).Assembly.Location);
        start.ArgumentList.Add("truncate");
        start.ArgumentList.Add(hostileServer.SocketPath);
        using var guest = System.Diagnostics.Process.Start(start)!;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stdout = guest.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = guest.StandardError.ReadToEndAsync(cts.Token);
            await guest.WaitForExitAsync(cts.Token);
            var text = await stdout;
            Assert.True(guest.ExitCode == 0, $"hostile guest exited {guest.ExitCode}: {text} {await stderr}");
            Assert.Contains($"shrink={Libc.EPERM} grow={Libc.EPERM} seal={Libc.EPERM}", text);
            Assert.Contains("nops=100", text);
        }
        finally
        {
            if (!guest.HasExited)
            {
                guest.Kill(entireProcessTree: true);
            }
        }
        Assert.Equal(OpStatus.Ok, neighbour.SubmitAndWait(Data(1, OpCode.Forward, 0, 0, 100, 1, 32), Patience).Status);
        Assert.Equal(ChannelState.Active, engine.GetStats("hostile")!.State);
        Assert.Equal(0, engine.GetStats("hostile")!.Errors);
    }

    [Fact]
    public void A_live_channel_socket_is_never_replaced_and_a_stale_one_is()
    {
        using var first = ChannelFile.CreateSealed("a", Small);
        using var second = ChannelFile.CreateSealed("b", Small);
        var path = ChannelDirectory.SocketPath(_folder, "same");
        using (var live = ChannelServer.Start(path, first))
        {
            var refused = Assert.Throws<IOException>(() => ChannelServer.Start(path, second));
            Assert.Contains("live channel", refused.Message);
        }

        // A socket left by a node that died: bound, closed, its file still there (.NET would unlink it on dispose).
        BindAndAbandon(path);
        Assert.True(ChannelClient.IsChannelSocket(path));
        using var taken = ChannelServer.Start(path, second);
        using var fd = ChannelClient.Receive(path, Patience);
        Assert.Equal(second.Length, new FileStream(fd, FileAccess.ReadWrite, 0).Length);
    }

    private static unsafe void BindAndAbandon(string path)
    {
        var fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM, 0);
        Assert.True(fd >= 0);
        var address = stackalloc byte[2 + Libc.SunPathSize];
        Assert.True(Libc.TryUnixAddress(path, new Span<byte>(address, 2 + Libc.SunPathSize), out var length));
        Assert.Equal(0, Libc.Bind(fd, address, length));
        Libc.Close(fd);
    }

    [Fact]
    public void Something_else_at_the_socket_path_is_refused_not_replaced()
    {
        using var channel = ChannelFile.CreateSealed("c", Small);
        ChannelDirectory.Ensure(_folder);
        var path = ChannelDirectory.SocketPath(_folder, "file");
        File.WriteAllText(path, "not a socket");
        Assert.Throws<IOException>(() => ChannelServer.Start(path, channel));
        Assert.Equal("not a socket", File.ReadAllText(path));
    }

    [Fact]
    public void A_path_mode_channel_file_is_created_0600_and_never_replaces_a_file_or_follows_a_symlink()
    {
        ChannelDirectory.Ensure(_folder);
        var path = ChannelDirectory.FilePath(_folder, "p");
        using (var file = ChannelFile.Create(path, Small))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            var again = Assert.Throws<IOException>(() => ChannelFile.Create(path, Small));
            Assert.Contains("already exists", again.Message);
        }

        var target = Path.Combine(_folder, "target");
        var link = ChannelDirectory.FilePath(_folder, "link");
        File.CreateSymbolicLink(link, target);
        Assert.Throws<IOException>(() => ChannelFile.Create(link, Small));
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void A_channel_folder_that_is_a_symlink_or_open_to_others_is_refused_or_closed()
    {
        Directory.CreateDirectory(_folder);
        var elsewhere = Path.Combine(_folder, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        var planted = Path.Combine(_folder, "planted");
        Directory.CreateSymbolicLink(planted, elsewhere);
        Assert.Throws<UnauthorizedAccessException>(() => ChannelDirectory.Ensure(planted));

        var open = Path.Combine(_folder, "open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
        ChannelDirectory.Ensure(open);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(open));
    }

    [Fact]
    public void A_shared_sticky_folder_like_tmp_is_refused_and_its_mode_left_alone()
    {
        // A channel path straight in /tmp (1777, owned by root) from a node run as root used to chmod /tmp to 0700,
        // locking every other user (PostgreSQL's, _apt) out of it.
        var shared = Path.Combine(_folder, "shared");
        Directory.CreateDirectory(shared);
        var mode = (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit;
        File.SetUnixFileMode(shared, mode);
        var refused = Assert.Throws<UnauthorizedAccessException>(() => ChannelFile.Create(Path.Combine(shared, "c.chan"), Small));
        Assert.Contains("shared folder", refused.Message);
        Assert.Equal(mode, File.GetUnixFileMode(shared));
        Assert.False(File.Exists(Path.Combine(shared, "c.chan")));
    }

    [Fact]
    public void Two_fabrics_on_one_host_get_separate_channel_folders()
    {
        var root = ChannelDirectory.DefaultRoot;
        Assert.NotEqual(ChannelDirectory.ForNode(root, "host-1", 4053), ChannelDirectory.ForNode(root, "host-1", 4054));
        Assert.NotEqual(ChannelDirectory.ForNode(root, "host-1", 4053), ChannelDirectory.ForNode(root, "host-2", 4053));
        Assert.Equal(Path.Combine(root, "a_b-1"), ChannelDirectory.ForNode(root, "a/b", 1));
        var longId = new string('x', 200);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(ChannelDirectory.SocketPath(ChannelDirectory.ForNode(root, "h", 1), longId)) < Libc.SunPathSize);
    }
}
