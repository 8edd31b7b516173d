using System.Text;

namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// One started DPDK crypto device (a PMD: software vdev or PCI device) with its queue pairs. Each g-driver on it
/// claims one queue pair for itself, because a queue pair is served by one thread without locks.
/// </summary>
public sealed class Cryptodev : IDisposable
{
    /// <summary>Largest op this first slice takes: one mbuf segment, whose lengths are 16-bit.</summary>
    public const int MaxSingleSegmentBytes = 65535 - 128;

    private readonly int[] _claimed;

    private Cryptodev(CryptodevHandle handle, string name, string driverName, int socketId, int queuePairs, int depth, int maxOpBytes)
    {
        Depth = depth;
        Handle = handle;
        Name = name;
        DriverName = driverName;
        SocketId = socketId;
        QueuePairs = queuePairs;
        MaxOpBytes = maxOpBytes;
        _claimed = new int[queuePairs];
    }

    /// <summary>Device name as EAL knows it, e.g. crypto_openssl0 or a PCI address.</summary>
    public string Name { get; }

    /// <summary>The PMD, e.g. crypto_openssl, crypto_aesni_gcm, crypto_qat.</summary>
    public string DriverName { get; }

    /// <summary>NUMA node of the device (-1: any).</summary>
    public int SocketId { get; }

    public int QueuePairs { get; }

    /// <summary>Descriptors of each queue pair: the most ops one g-driver keeps in flight on the device.</summary>
    public int Depth { get; }

    /// <summary>Largest AAD + body an op may carry (the tag travels apart).</summary>
    public int MaxOpBytes { get; }

    internal CryptodevHandle Handle { get; }

    /// <summary>
    /// Configures and starts the device <paramref name="name"/> with <paramref name="queuePairs"/> queue pairs of
    /// <paramref name="depth"/> descriptors. EAL must be running. Throws <see cref="DpdkException"/> saying why not.
    /// </summary>
    public static unsafe Cryptodev Open(string name, int queuePairs = 4, int depth = 32, int maxOpBytes = MaxSingleSegmentBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!DpdkEal.IsRunning)
        {
            throw new DpdkException($"cannot open cryptodev {name}: EAL is not running ({DpdkEal.Failure ?? "DpdkEal.TryStart was not called"})");
        }
        if (queuePairs is < 1 or > ushort.MaxValue || depth < 1 || maxOpBytes is < 1 or > MaxSingleSegmentBytes)
        {
            throw new DpdkException($"cannot open cryptodev {name}: queue pairs {queuePairs}, depth {depth} must be positive and max op bytes {maxOpBytes} in [1, {MaxSingleSegmentBytes}]");
        }
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var err = stackalloc byte[DpdkNative.ErrorLength];
        err[0] = 0;
        var handle = new CryptodevHandle();
        int rc;
        nint device;
        fixed (byte* n = nameBytes)
        {
            rc = DpdkNative.CryptodevOpen(n, (ushort)queuePairs, (uint)depth, (uint)maxOpBytes, out device, err, DpdkNative.ErrorLength);
        }
        if (rc != DpdkNative.Ok)
        {
            throw new DpdkException(DpdkNative.Text(err));
        }
        handle.Adopt(device);
        var driver = stackalloc byte[64];
        DpdkNative.CryptodevInfo(device, driver, 64, out var socket, out var max);
        return new Cryptodev(handle, name, DpdkNative.Text(driver), socket, queuePairs, depth, (int)max);
    }

    /// <summary>A free queue pair for one g-driver, or -1 when every queue pair has one.</summary>
    public int ClaimQueuePair()
    {
        for (var i = 0; i < _claimed.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _claimed[i], 1, 0) == 0)
            {
                return i;
            }
        }
        return -1;
    }

    public void ReleaseQueuePair(int queuePair) => Volatile.Write(ref _claimed[queuePair], 0);

    /// <summary>Stops the device once its drivers and sessions are gone (they hold references on it).</summary>
    public void Dispose() => Handle.Dispose();

    public override string ToString() => $"{Name} ({DriverName}, socket {SocketId}, {QueuePairs} queue pairs)";
}
