using System.Buffers.Binary;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Tests.Dpdk;
using Fabric.Dataplane.Vhost;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>
/// A backend on a fresh socket and test guests connected to it: an AC queue (<see cref="AccelerationEngine.AddVhostQueue"/>)
/// whose worker polls the backend and runs the requests on a .NET g-driver.
/// </summary>
internal sealed class VhostRig : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    public const string QueueId = "vhost-q";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fabric-vhost-");

    private VhostRig(DpdkFixture dpdk, IGDriver driver, EngineOptions? options)
    {
        Assert.True(DpdkEal.IsRunning, "EAL: " + DpdkEal.Failure);
        _ = dpdk;
        SocketPath = Path.Combine(_dir.FullName, "crypto.sock");
        Engine = new AccelerationEngine(options ?? new EngineOptions { Workers = 1 });
        Engine.AddVhostQueue(QueueId, SocketPath, driver).Wait(Patience);
    }

    /// <summary>An AC with one worker serving the socket with <paramref name="driver"/> (the rig owns both).</summary>
    public static VhostRig OnAc(DpdkFixture dpdk, IGDriver driver, EngineOptions? options = null) => new(dpdk, driver, options);

    /// <summary>An <c>aes-cbc</c> queue (every AES key size) on the .NET driver.</summary>
    public static VhostRig OnAc(DpdkFixture dpdk) => OnAc(dpdk, GDriverCatalog.Create("aes-cbc"));

    public string SocketPath { get; }

    public AccelerationEngine Engine { get; }

    public VhostCryptoStats Stats() => Engine.GetVhostStats(QueueId) ?? throw new InvalidOperationException("the vhost queue is gone");

    public VhostTestGuest Connect() => new(SocketPath, Patience);

    /// <summary>A test guest whose device the backend has made live.</summary>
    public VhostTestGuest Guest()
    {
        var seen = Stats().GuestsSeen;
        var guest = Connect();
        guest.Start();
        Await(() => Stats().GuestsSeen > seen && Stats().GuestReady, "the backend to make the test guest's device live");
        return guest;
    }

    public static void Await(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            Thread.Sleep(1); // polling a condition owned by DPDK's vhost thread, which has no event to wait on
        }
    }

    public void Dispose()
    {
        Engine.Dispose();
        _dir.Delete(recursive: true);
    }
}

/// <summary>Well-formed virtio-crypto requests (virtio 1.2, 5.9.7) written into a test guest's memory.</summary>
internal static class VirtioCrypto
{
    public const uint Encrypt = 0;
    public const uint Decrypt = 1;
    public const uint OpCipher = 1;
    public const uint OpChain = 2;
    public const byte StatusOk = 0;
    public const byte StatusErr = 1;
    public const byte StatusBadMsg = 2;
    public const byte StatusNotSupp = 3;
    public const byte StatusInvSess = 4;
    public const ulong WritableAt = 1024 * 1024;

    public sealed record Result(byte Status, byte[] Data, byte[] Hash, uint UsedLength);

    public sealed record Chain(uint CipherOffset, uint CipherLength, uint HashOffset, uint HashLength, uint HashResult, uint Aad = 0);

    /// <summary>The 72-byte virtio_crypto_op_data_req.</summary>
    public static byte[] Header(long session, uint opcode, uint opType, uint ivLength, uint srcLength, uint dstLength, Chain? chain = null)
    {
        var h = new byte[72];
        BinaryPrimitives.WriteUInt32LittleEndian(h, opcode);
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(8), session);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(24), ivLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(28), srcLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(32), dstLength);
        if (chain is not null)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(36), chain.CipherOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(40), chain.CipherLength);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(44), chain.HashOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(48), chain.HashLength);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(52), chain.Aad);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(56), chain.HashResult);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(64), opType);
        return h;
    }

    /// <summary>One request as Linux lays it out: a readable descriptor (header || IV || source), a writable one (destination || hash || status).</summary>
    public static Result Run(VhostRig rig, VhostTestGuest guest, long session, uint opcode, byte[] iv, byte[] source, Chain? chain = null, byte[]? expectedMac = null)
    {
        var hash = (int)(chain?.HashResult ?? 0);
        var header = Header(session, opcode, chain is null ? OpCipher : OpChain, (uint)iv.Length, (uint)source.Length, (uint)source.Length, chain);
        byte[] readable = [.. header, .. iv, .. source];
        readable.CopyTo(guest.Memory[(int)VhostTestGuest.DataStart..]);
        var writable = source.Length + hash + 1;
        guest.Memory.Slice((int)WritableAt, writable).Fill(0xee);
        expectedMac?.CopyTo(guest.Memory[((int)WritableAt + source.Length)..]); // a decrypting chain checks it
        guest.WriteDescriptor(0, VhostTestGuest.DataStart, (uint)readable.Length, VhostTestGuest.FlagNext, 1);
        guest.WriteDescriptor(1, WritableAt, (uint)writable, VhostTestGuest.FlagWrite, 0);
        guest.Post(0);
        var answer = Assert.Single(guest.AwaitAnswers(VhostRig.Patience));
        Assert.Equal(0u, answer.Id);
        var output = guest.Memory.Slice((int)WritableAt, writable).ToArray();
        return new Result(output[^1], output[..source.Length], output[source.Length..^1], answer.Length);
    }
}
