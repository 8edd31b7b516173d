using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>
/// A vhost-user front end written for tests, playing QEMU's part without a VM: guest RAM is a memfd this process also
/// maps, handed to the backend with VHOST_USER_SET_MEM_TABLE; one split virtqueue (256 entries) lives in it, set up
/// with the VRING messages and eventfds as QEMU does. Tests write descriptor chains into that memory (well-formed
/// virtio-crypto requests or anything else), post them on the avail ring and read the used ring.
/// Layout (guest physical): descriptor table at 0, avail ring at 4 KiB, used ring at 8 KiB, data from 16 KiB.
/// </summary>
internal sealed unsafe partial class VhostTestGuest : IDisposable
{
    public const int QueueSize = 256;
    public const ulong MemorySize = 2 * 1024 * 1024;
    public const ulong DescTable = 0;
    public const ulong AvailRing = 4096;
    public const ulong UsedRing = 8192;
    public const ulong DataStart = 16384;
    public const ushort FlagNext = 1;
    public const ushort FlagWrite = 2;
    public const ushort FlagIndirect = 4;
    private const ulong QemuBase = 0x7f00_0000_0000; // the "QEMU virtual address" of guest RAM, for ring addresses
    private const uint Version = 0x1;

    private readonly int _memfd;
    private readonly int _kick;
    private readonly int _call;
    private readonly byte* _memory;
    private ushort _availIdx;
    private ushort _usedSeen;

    public VhostTestGuest(string socketPath, TimeSpan patience)
    {
        _memfd = MemfdCreate("fabric-test-guest", 1 /* MFD_CLOEXEC */);
        Check(_memfd >= 0 && Ftruncate(_memfd, (long)MemorySize) == 0, "memfd");
        _memory = (byte*)Mmap(0, (nuint)MemorySize, 3 /* PROT_READ|WRITE */, 1 /* MAP_SHARED */, _memfd, 0);
        Check((nint)_memory != -1, "mmap");
        _kick = EventFd(0, 0x80000 /* EFD_CLOEXEC */);
        _call = EventFd(0, 0x80000);
        Check(_kick >= 0 && _call >= 0, "eventfd");
        Socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            ReceiveTimeout = (int)patience.TotalMilliseconds,
            SendTimeout = (int)patience.TotalMilliseconds,
        };
        Socket.Connect(new UnixDomainSocketEndPoint(socketPath));
    }

    public Socket Socket { get; }

    public Span<byte> Memory => new(_memory, (int)MemorySize);

    /// <summary>The handshake QEMU's cryptodev-vhost-user does for its one data queue; the device is live after it.</summary>
    public void Start()
    {
        Exchange(1 /* GET_FEATURES */, Version, []);
        Send(2 /* SET_FEATURES */, U64((1ul << 32) | (1ul << 30)));
        Send(3 /* SET_OWNER */, []);
        var table = new byte[8 + 32];
        BinaryPrimitives.WriteUInt32LittleEndian(table, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(8), 0);            // guest physical address
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(16), MemorySize);  // size
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(24), QemuBase);    // QEMU's address of it
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(32), 0);           // offset in the fd
        Send(5 /* SET_MEM_TABLE */, table, _memfd);
        Send(13 /* SET_VRING_CALL */, U64(0), _call);
        Send(8 /* SET_VRING_NUM */, [.. U32(0), .. U32(QueueSize)]);
        Send(10 /* SET_VRING_BASE */, [.. U32(0), .. U32(0)]);
        var addr = new byte[40];
        BinaryPrimitives.WriteUInt64LittleEndian(addr.AsSpan(8), QemuBase + DescTable);
        BinaryPrimitives.WriteUInt64LittleEndian(addr.AsSpan(16), QemuBase + UsedRing);
        BinaryPrimitives.WriteUInt64LittleEndian(addr.AsSpan(24), QemuBase + AvailRing);
        Send(9 /* SET_VRING_ADDR */, addr);
        Send(12 /* SET_VRING_KICK */, U64(0), _kick);
    }

    /// <summary>VHOST_USER_CREATE_CRYPTO_SESSION as QEMU >= 7.1 lays it out; returns the id or a negated VIRTIO_CRYPTO_* status.</summary>
    public long CreateSession(ReadOnlySpan<byte> key, byte direction, byte opType = 1, uint alg = 3, uint mac = 0, uint digest = 0,
        ReadOnlySpan<byte> macKey = default, byte hashMode = 2, byte order = 0, uint aad = 0)
    {
        var p = new byte[632];
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(8), alg);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(12), (uint)key.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(16), mac);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(20), digest);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(24), (uint)macKey.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(28), aad);
        p[32] = opType;
        p[33] = direction;
        p[34] = hashMode;
        p[35] = order == 0 ? (byte)(direction == 1 ? 2 : 1) : order;
        key[..Math.Min(key.Length, 64)].CopyTo(p.AsSpan(56));
        macKey[..Math.Min(macKey.Length, 512)].CopyTo(p.AsSpan(120));
        return BinaryPrimitives.ReadInt64LittleEndian(Exchange(26, Version, p));
    }

    public void WriteDescriptor(int index, ulong addr, uint length, ushort flags, ushort next) =>
        WriteDescriptor(Memory.Slice((int)DescTable + index * 16, 16), addr, length, flags, next);

    public static void WriteDescriptor(Span<byte> at, ulong addr, uint length, ushort flags, ushort next)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(at, addr);
        BinaryPrimitives.WriteUInt32LittleEndian(at[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(at[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(at[14..], next);
    }

    /// <summary>Puts a head on the avail ring (any value: out-of-range heads are part of the hostile cases).</summary>
    public void Post(ushort head)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Memory[(int)(AvailRing + 4 + (ulong)(_availIdx % QueueSize) * 2)..], head);
        _availIdx++;
        Volatile.Write(ref *(ushort*)(_memory + AvailRing + 2), _availIdx);
    }

    public ushort UsedIndex => Volatile.Read(ref *(ushort*)(_memory + UsedRing + 2));

    /// <summary>Waits until the backend (an AC worker) has answered every posted request; returns the new used entries (id, len).</summary>
    public List<(uint Id, uint Length)> AwaitAnswers(TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (UsedIndex != _availIdx)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the backend answered {(ushort)(UsedIndex - _usedSeen)} of {(ushort)(_availIdx - _usedSeen)} posted requests in {patience}");
            }
            Thread.Yield(); // the used index is written by the AC's worker, which has no event to wait on
        }
        var answers = new List<(uint, uint)>();
        for (; _usedSeen != _availIdx; _usedSeen++)
        {
            var entry = Memory[(int)(UsedRing + 4 + (ulong)(_usedSeen % QueueSize) * 8)..];
            answers.Add((BinaryPrimitives.ReadUInt32LittleEndian(entry), BinaryPrimitives.ReadUInt32LittleEndian(entry[4..])));
        }
        return answers;
    }

    public byte[] Exchange(uint request, uint flags, byte[] payload)
    {
        Send(request, payload, -1, flags);
        var header = Read(12);
        Check(BinaryPrimitives.ReadUInt32LittleEndian(header) == request, "reply for another request");
        return Read((int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)));
    }

    /// <summary>One vhost-user message, with one file descriptor in SCM_RIGHTS when <paramref name="fd"/> >= 0.</summary>
    public void Send(uint request, byte[] payload, int fd = -1, uint flags = Version)
    {
        var message = new byte[12 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, request);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), (uint)payload.Length);
        payload.CopyTo(message, 12);
        var control = stackalloc byte[24];
        new Span<byte>(control, 24).Clear();
        fixed (byte* m = message)
        {
            var iov = new IoVec { Base = m, Length = (nuint)message.Length };
            var header = new MsgHdr { Iov = &iov, IovLength = 1 };
            if (fd >= 0)
            {
                *(ulong*)control = 20;        // cmsg_len = CMSG_LEN(sizeof(int))
                *(int*)(control + 8) = 1;     // SOL_SOCKET
                *(int*)(control + 12) = 1;    // SCM_RIGHTS
                *(int*)(control + 16) = fd;
                header.Control = control;
                header.ControlLength = 24;    // CMSG_SPACE(sizeof(int))
            }
            var sent = SendMsg((int)Socket.Handle, &header, 0x4000 /* MSG_NOSIGNAL */);
            Check(sent == message.Length, $"sendmsg of request {request}: {sent} (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    private byte[] Read(int length)
    {
        var buffer = new byte[length];
        for (var got = 0; got < length;)
        {
            var n = Socket.Receive(buffer, got, length - got, SocketFlags.None);
            Check(n > 0, $"the backend closed the connection after {got} of {length} reply bytes");
            got += n;
        }
        return buffer;
    }

    private static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    private static byte[] U64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }

    private static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException("test guest: " + what);
        }
    }

    public void Dispose()
    {
        Socket.Dispose();
        Munmap((nint)_memory, (nuint)MemorySize);
        Close(_memfd);
        Close(_kick);
        Close(_call);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint addr, nuint length);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(int socket, MsgHdr* message, int flags);
}
