using System.Buffers.Binary;
using System.Net.Sockets;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Tests.Dpdk;
using Fabric.Dataplane.Vhost;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>
/// The vhost-user socket driven by a test client instead of QEMU: session messages are validated and answered, and a
/// peer that is not QEMU gets a closed connection while the backend keeps serving (docs/vhost.md).
/// </summary>
[Collection(DpdkCollection.Name)]
public class VhostProtocolTests(DpdkFixture dpdk)
{
    private const uint GetFeatures = 1;
    private const uint CreateSession = 26;
    private const uint CloseSession = 27;
    private const uint Version = 0x1;
    private const uint NeedReply = 0x8;
    private const int SessionBytes = 632; // VhostUserCryptoSession (QEMU >= 7.1)
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void Session_messages_are_validated_and_answered()
    {
        using var rig = new Rig(dpdk);
        using var peer = rig.Connect();

        var features = BinaryPrimitives.ReadUInt64LittleEndian(Exchange(peer, GetFeatures, Version, []));
        Assert.NotEqual(0ul, features & (1ul << 32)); // VIRTIO_F_VERSION_1
        Assert.NotEqual(0ul, features & (1ul << 30)); // VHOST_USER_F_PROTOCOL_FEATURES

        Assert.Equal(-3, SessionReply(peer, alg: 2, keyLength: 16, direction: 1)); // AES-ECB: NOTSUPP
        Assert.Equal(-2, SessionReply(peer, alg: 3, keyLength: 17, direction: 1)); // bad key length: BADMSG
        Assert.Equal(-2, SessionReply(peer, alg: 3, keyLength: 32, direction: 7)); // bad direction: BADMSG
        var id = SessionReply(peer, alg: 3, keyLength: 32, direction: 2);
        Assert.True(id >= 0, $"a valid AES-256-CBC decrypt session was refused ({id})");

        Assert.Equal(0ul, CloseReply(peer, (ulong)id));
        Assert.Equal(1ul, CloseReply(peer, (ulong)id)); // closed twice: an error, the connection stays
        Assert.Equal(1ul, CloseReply(peer, 1_000_000)); // never existed

        var stats = rig.Stats();
        Assert.Equal(1ul, stats.Sessions);
        Assert.Equal(3ul, stats.SessionsRefused);
        Assert.Equal(0u, stats.GuestsSeen);
    }

    [Fact]
    public void A_peer_that_is_not_qemu_is_disconnected_and_the_backend_keeps_serving()
    {
        using var rig = new Rig(dpdk);
        using (var liar = rig.Connect())
        {
            // A header announcing a payload larger than any vhost-user message.
            var header = new byte[12];
            BinaryPrimitives.WriteUInt32LittleEndian(header, CreateSession);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), Version);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), 0x7fff_ffff);
            liar.Send(header);
            Assert.True(Closed(liar), "the backend kept a connection that announced a 2 GiB message");
        }
        using (var truncated = rig.Connect())
        {
            // A session message cut short, then the peer goes away mid-message.
            var header = new byte[12 + 40];
            BinaryPrimitives.WriteUInt32LittleEndian(header, CreateSession);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), Version);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), SessionBytes);
            truncated.Send(header);
        }
        using (var noise = rig.Connect())
        {
            noise.Send(Enumerable.Range(0, 256).Select(i => (byte)(i * 37 + 11)).ToArray());
        }

        // The backend still answers a well-formed peer, and nothing above created a session or a device.
        using var peer = rig.Connect();
        var features = BinaryPrimitives.ReadUInt64LittleEndian(Exchange(peer, GetFeatures, Version, []));
        Assert.NotEqual(0ul, features & (1ul << 30));
        Assert.True(SessionReply(peer, alg: 3, keyLength: 16, direction: 1) >= 0);
        var stats = rig.Stats();
        Assert.Equal(1ul, stats.Sessions);
        Assert.Equal(0u, stats.GuestsSeen);
        Assert.Equal(0ul, stats.Fetched);
    }

    private static long SessionReply(Socket peer, uint alg, uint keyLength, byte direction)
    {
        var payload = new byte[SessionBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(8), alg);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(12), keyLength);
        payload[32] = 1; // VIRTIO_CRYPTO_SYM_OP_CIPHER
        payload[33] = direction;
        for (var i = 0; i < 64; i++)
        {
            payload[56 + i] = (byte)i;
        }
        var reply = Exchange(peer, CreateSession, Version, payload);
        return BinaryPrimitives.ReadInt64LittleEndian(reply);
    }

    /// <summary>A close with NEED_REPLY: the backend answers 0 (done) or 1 (failed) instead of dropping the peer.</summary>
    private static ulong CloseReply(Socket peer, ulong id)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, id);
        return BinaryPrimitives.ReadUInt64LittleEndian(Exchange(peer, CloseSession, Version | NeedReply, payload));
    }

    /// <summary>Sends one message and reads its reply's payload (the reply must be for the same request).</summary>
    private static byte[] Exchange(Socket peer, uint request, uint flags, byte[] payload)
    {
        var message = new byte[12 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, request);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), (uint)payload.Length);
        payload.CopyTo(message, 12);
        peer.Send(message);
        var header = ReadExactly(peer, 12);
        Assert.Equal(request, BinaryPrimitives.ReadUInt32LittleEndian(header));
        Assert.NotEqual(0u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)) & 0x4); // VHOST_USER_REPLY_MASK
        return ReadExactly(peer, (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)));
    }

    private static byte[] ReadExactly(Socket peer, int length)
    {
        var buffer = new byte[length];
        for (var got = 0; got < length;)
        {
            var n = peer.Receive(buffer, got, length - got, SocketFlags.None);
            Assert.True(n > 0, $"the backend closed the connection after {got} of {length} reply bytes");
            got += n;
        }
        return buffer;
    }

    private static bool Closed(Socket peer)
    {
        try
        {
            return peer.Receive(new byte[16]) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private sealed class Rig : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fabric-vhost-");

        private readonly AccelerationEngine _engine = new(new EngineOptions { Workers = 1 });

        public Rig(DpdkFixture dpdk)
        {
            Assert.True(DpdkEal.IsRunning, "EAL: " + DpdkEal.Failure);
            _ = dpdk;
            Socket = Path.Combine(_dir.FullName, "crypto.sock");
            _engine.AddVhostQueue("vhost-p", Socket, GDriverCatalog.Create("aes-cbc")).Wait(s_patience);
        }

        public string Socket { get; }

        public VhostCryptoStats Stats() => _engine.GetVhostStats("vhost-p")!.Value;

        public Socket Connect()
        {
            var peer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            {
                ReceiveTimeout = (int)s_patience.TotalMilliseconds,
                SendTimeout = (int)s_patience.TotalMilliseconds,
            };
            peer.Connect(new UnixDomainSocketEndPoint(Socket));
            return peer;
        }

        public void Dispose()
        {
            _engine.Dispose();
            _dir.Delete(recursive: true);
        }
    }
}
