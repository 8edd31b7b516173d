using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Native;

namespace Fabric.Dataplane.Handoff;

/// <summary>
/// Hands one sealed channel to its guest: a Unix socket (in a folder only the node's user can enter) that
/// answers every connection with the channel's memfd (SCM_RIGHTS) and a 16-byte message
/// (<see cref="ChannelHandoffMessage"/>), then hangs up. A peer running as another user (SO_PEERCRED) gets
/// nothing. The guest may connect again (a restarted workload); every connection gets the same channel.
/// Disposing stops the listener and removes the socket; guests that mapped the channel keep it.
/// </summary>
public sealed class ChannelServer : IDisposable
{
    private readonly ChannelFile _channel;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<string>? _warn;
    private readonly uint _owner;
    private readonly Task _loop;
    private long _served;
    private long _refused;
    private int _disposed;

    private ChannelServer(string socketPath, ChannelFile channel, Socket listener, Action<string>? warn)
    {
        SocketPath = socketPath;
        _channel = channel;
        _listener = listener;
        _warn = warn;
        _owner = Libc.GetEuid();
        _loop = Task.Run(AcceptLoop);
    }

    public string SocketPath { get; }

    /// <summary>Connections that were handed the channel.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Connections refused (another user, or the hand-over failed).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>
    /// Serves <paramref name="channel"/> (a sealed one) at <paramref name="socketPath"/>, whose folder must be this
    /// user's own (checked). A socket already there is replaced only when nothing answers on it (a node that
    /// died); a live one is refused with <see cref="IOException"/>.
    /// </summary>
    public static ChannelServer Start(string socketPath, ChannelFile channel, Action<string>? warn = null)
    {
        if (!channel.IsSealed || channel.Descriptor is null)
        {
            throw new ArgumentException($"channel {channel.Path} is not a sealed memfd: only sealed channels are handed out over a socket", nameof(channel));
        }
        if (!Libc.Supported || !OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("channel sockets need 64-bit Linux");
        }
        var folder = Path.GetDirectoryName(socketPath) ?? throw new ArgumentException($"socket path {socketPath} has no folder", nameof(socketPath));
        ChannelDirectory.Ensure(folder);
        RemoveIfStale(socketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // bind() creates the socket file and fails if anything exists at the path (no replacement, no symlink follow).
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new IOException($"cannot serve channel socket {socketPath}: {e.Message}", e);
        }
        return new ChannelServer(socketPath, channel, listener, warn);
    }

    private static void RemoveIfStale(string socketPath)
    {
        if (!Libc.TryStat(socketPath, out var mode, out _, out var errno))
        {
            if (errno == Libc.ENOENT)
            {
                return;
            }
            throw new IOException($"cannot check {socketPath}: {Libc.Describe(errno)}");
        }
        if ((mode & Libc.S_IFMT) != Libc.S_IFSOCK)
        {
            throw new IOException($"{socketPath} exists and is not a channel socket: refusing to replace it; remove it if nothing uses it");
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // Nobody listens: left behind by a node that died. Safe to take over.
            File.Delete(socketPath);
            return;
        }
        throw new IOException($"a live channel is served at {socketPath}: refusing to replace it (is another node or queue using this attachment id?)");
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
                _warn?.Invoke($"channel socket {SocketPath}: accept failed: {e.Message}");
                continue;
            }
            using (connection)
            {
                var problem = Serve(connection);
                if (problem is null)
                {
                    Interlocked.Increment(ref _served);
                }
                else
                {
                    Interlocked.Increment(ref _refused);
                    _warn?.Invoke($"channel socket {SocketPath}: {problem}");
                }
            }
        }
    }

    /// <summary>Checks the peer and sends the descriptor; returns null, or what went wrong.</summary>
    private unsafe string? Serve(Socket connection)
    {
        var fd = (int)connection.Handle;
        Libc.UCred cred;
        var length = (uint)sizeof(Libc.UCred);
        if (Libc.GetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_PEERCRED, &cred, &length) != 0)
        {
            return $"cannot read the peer's credentials: {Libc.Describe(Marshal.GetLastPInvokeError())}";
        }
        if (cred.Uid != _owner)
        {
            return $"refused pid {cred.Pid}: it runs as user {cred.Uid}, the channel belongs to user {_owner}";
        }
        var handle = _channel.Descriptor;
        if (handle is null || handle.IsClosed)
        {
            return "the channel is gone";
        }
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var message = stackalloc byte[ChannelHandoffMessage.Size];
            ChannelHandoffMessage.Write(new Span<byte>(message, ChannelHandoffMessage.Size), _channel.Length);
            var control = stackalloc byte[Libc.CmsgSpaceOneFd];
            new Span<byte>(control, Libc.CmsgSpaceOneFd).Clear();
            var cmsg = (Libc.CmsgHdr*)control;
            cmsg->Length = Libc.CmsgLenOneFd;
            cmsg->Level = Libc.SOL_SOCKET;
            cmsg->Type = Libc.SCM_RIGHTS;
            *(int*)(control + Libc.CmsgDataOffset) = (int)handle.DangerousGetHandle();
            Libc.IoVec iov;
            iov.Base = message;
            iov.Length = ChannelHandoffMessage.Size;
            Libc.MsgHdr msg = default;
            msg.Iov = &iov;
            msg.IovLength = 1;
            msg.Control = control;
            msg.ControlLength = Libc.CmsgSpaceOneFd;
            // A fresh socket's send buffer holds 16 bytes; .NET keeps the socket non-blocking, so wait for room if told EAGAIN.
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var sent = Libc.SendMsg(fd, &msg, Libc.MSG_NOSIGNAL);
                if (sent == ChannelHandoffMessage.Size)
                {
                    return null;
                }
                if (sent >= 0)
                {
                    return $"short send ({sent} of {ChannelHandoffMessage.Size} bytes)";
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Libc.EAGAIN && errno != Libc.EINTR)
                {
                    return $"sending the channel failed: {Libc.Describe(errno)}";
                }
                connection.Poll(TimeSpan.FromMilliseconds(20), SelectMode.SelectWrite);
            }
            return "the peer's socket stayed full";
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation; nothing else to report.
        }
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
            // Already gone.
        }
        _stop.Dispose();
    }
}

/// <summary>
/// The bytes that travel with the descriptor: "FABRICFD" (little-endian u64 0x4446434952424146) and the
/// channel's size in bytes (u64), so the guest can tell a channel socket from anything else.
/// </summary>
public static class ChannelHandoffMessage
{
    public const int Size = 16;
    public const ulong Magic = 0x4446434952424146UL;

    public static void Write(Span<byte> destination, long channelBytes)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], (ulong)channelBytes);
    }
}
