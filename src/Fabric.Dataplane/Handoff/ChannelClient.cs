using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Fabric.Dataplane.Native;
using Microsoft.Win32.SafeHandles;

namespace Fabric.Dataplane.Handoff;

/// <summary>The guest's side of <see cref="ChannelServer"/>: connects to a channel socket and receives the memfd.</summary>
public static unsafe class ChannelClient
{
    /// <summary>True when <paramref name="path"/> is a Unix socket (a sealed channel's handle), false for anything else.</summary>
    public static bool IsChannelSocket(string path) =>
        Libc.Supported && Libc.TryStat(path, out var mode, out _, out _) && (mode & Libc.S_IFMT) == Libc.S_IFSOCK;

    /// <summary>
    /// Receives the channel's descriptor from the node. Throws <see cref="FileNotFoundException"/> (no socket),
    /// <see cref="UnauthorizedAccessException"/> (not allowed), <see cref="IOException"/> (no node serves it,
    /// or it answered something else), or <see cref="TimeoutException"/>.
    /// </summary>
    public static SafeFileHandle Receive(string socketPath, TimeSpan timeout)
    {
        if (!Libc.Supported)
        {
            throw new PlatformNotSupportedException("channel sockets need 64-bit Linux");
        }
        var address = stackalloc byte[2 + Libc.SunPathSize];
        if (!Libc.TryUnixAddress(socketPath, new Span<byte>(address, 2 + Libc.SunPathSize), out var addressLength))
        {
            throw new ArgumentException($"{socketPath} is too long for a Unix socket path", nameof(socketPath));
        }
        var fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"socket() failed: {Libc.Describe(Marshal.GetLastPInvokeError())}");
        }
        try
        {
            var wait = new Libc.TimeVal
            {
                Seconds = (long)Math.Max(0, Math.Floor(timeout.TotalSeconds)),
                Microseconds = Math.Max(1, timeout.Microseconds + timeout.Milliseconds * 1000L),
            };
            Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, &wait, (uint)sizeof(Libc.TimeVal));
            if (Libc.Connect(fd, address, addressLength) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw errno switch
                {
                    Libc.ENOENT => new FileNotFoundException($"no channel socket at {socketPath}", socketPath),
                    Libc.EACCES or Libc.EPERM => new UnauthorizedAccessException($"not allowed to connect to {socketPath} ({Libc.Describe(errno)}): run the guest as the node's user"),
                    Libc.ECONNREFUSED => new IOException($"no node serves {socketPath} (connection refused): the queue was removed or the node stopped; ask the VIM for the attachment's current handle"),
                    _ => new IOException($"cannot connect to {socketPath}: {Libc.Describe(errno)}"),
                };
            }
            var message = stackalloc byte[ChannelHandoffMessage.Size];
            var control = stackalloc byte[Libc.CmsgSpaceOneFd];
            new Span<byte>(control, Libc.CmsgSpaceOneFd).Clear();
            Libc.IoVec iov;
            iov.Base = message;
            iov.Length = ChannelHandoffMessage.Size;
            Libc.MsgHdr msg = default;
            msg.Iov = &iov;
            msg.IovLength = 1;
            msg.Control = control;
            msg.ControlLength = Libc.CmsgSpaceOneFd;
            nint received;
            do
            {
                received = Libc.RecvMsg(fd, &msg, Libc.MSG_CMSG_CLOEXEC);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
            if (received < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw errno == Libc.EAGAIN
                    ? new TimeoutException($"the node did not hand over the channel at {socketPath} within {timeout}")
                    : new IOException($"receiving the channel from {socketPath} failed: {Libc.Describe(errno)}");
            }
            var cmsg = (Libc.CmsgHdr*)control;
            var passed = msg.ControlLength >= (nuint)Libc.CmsgLenOneFd && cmsg->Level == Libc.SOL_SOCKET && cmsg->Type == Libc.SCM_RIGHTS
                && cmsg->Length >= (nuint)Libc.CmsgLenOneFd
                ? *(int*)(control + Libc.CmsgDataOffset)
                : -1;
            var handle = passed >= 0 ? new SafeFileHandle(passed, ownsHandle: true) : null;
            var span = new ReadOnlySpan<byte>(message, ChannelHandoffMessage.Size);
            if (handle is null || received != ChannelHandoffMessage.Size || BinaryPrimitives.ReadUInt64LittleEndian(span) != ChannelHandoffMessage.Magic
                || (msg.Flags & Libc.MSG_CTRUNC) != 0)
            {
                handle?.Dispose();
                throw new InvalidDataException($"{socketPath} did not hand over a Fabric channel (got {received} bytes{(handle is null ? ", no descriptor" : "")}): is it a channel socket of a Fabric node?");
            }
            return handle;
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
