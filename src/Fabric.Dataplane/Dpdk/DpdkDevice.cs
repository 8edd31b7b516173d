using System.Text;

namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// One started DPDK device (a PMD: software vdev or PCI device) with its queue pairs: a <see cref="Cryptodev"/> or a
/// <see cref="Compressdev"/>. Each g-driver on it claims one queue pair for itself, because a queue pair is served by
/// one thread without locks.
/// </summary>
public abstract class DpdkDevice : IDisposable
{
    /// <summary>Largest op: one mbuf segment, whose lengths are 16-bit.</summary>
    public const int MaxSingleSegmentBytes = 65535 - 128;

    private readonly int[] _claimed;
    /// <summary>Drivers inside a burst on the device now (<see cref="Enter"/>): a reset waits for none.</summary>
    private int _inside;
    /// <summary>1 while a reset has the device stopped: drivers take and return nothing.</summary>
    private int _resetting;
    private long _resets;
    private long _failedResets;

    private protected DpdkDevice(CryptodevHandle handle, string name, int queuePairs, int depth)
    {
        Handle = handle;
        Name = name;
        QueuePairs = queuePairs;
        Depth = depth;
        _claimed = new int[queuePairs];
        unsafe
        {
            var driver = stackalloc byte[64];
            DpdkNative.CryptodevInfo(handle.DangerousGetHandle(), driver, 64, out var socket, out var max);
            DriverName = DpdkNative.Text(driver);
            SocketId = socket;
            MaxOpBytes = (int)max;
            var why = stackalloc byte[DpdkNative.ErrorLength];
            why[0] = 0;
            ZeroCopyMode = DpdkNative.ZeroCopyMode(handle.DangerousGetHandle(), why, DpdkNative.ErrorLength);
            ZeroCopy = DpdkNative.Text(why);
        }
    }

    /// <summary>
    /// How ops on channel buffers reach the device, decided at open from the PMD (the shim's FD_ZC_*): attached to the
    /// guest's slots out of place, in place on the output slot, or copied; <see cref="ZeroCopy"/> says which and why.
    /// </summary>
    public uint ZeroCopyMode { get; }

    /// <summary>The zero-copy mode in words, e.g. "out of place: mbufs attached to the guest's input and output slots".</summary>
    public string ZeroCopy { get; }

    /// <summary>
    /// The software PMDs, which process an op only inside the caller's enqueue or dequeue call (no hardware, no thread of
    /// their own): an op such a device holds cannot be written while no one calls it. crypto_scheduler is not one (its
    /// workers may be hardware).
    /// </summary>
    private static readonly HashSet<string> s_callersThreadPmds = new(StringComparer.Ordinal)
    {
        "crypto_aesni_gcm", "crypto_aesni_mb", "crypto_chacha20_poly1305", "crypto_openssl", "crypto_null", "compress_isal", "compress_zlib",
    };

    /// <summary>True when the device does its work only inside the AC's own calls (a software PMD): see <see cref="DpdkZeroCopy.Auto"/>.</summary>
    public bool WorksInCallersThread => s_callersThreadPmds.Contains(DriverName);

    public bool DoesZeroCopy => (ZeroCopyMode & (DpdkNative.ZeroCopyOutOfPlace | DpdkNative.ZeroCopyInPlaceOut)) != 0;

    /// <summary>Device name as EAL knows it, e.g. crypto_openssl0 or a PCI address.</summary>
    public string Name { get; }

    /// <summary>The PMD, e.g. crypto_openssl, crypto_aesni_gcm, crypto_qat, compress_isal.</summary>
    public string DriverName { get; }

    /// <summary>NUMA node of the device (-1: any).</summary>
    public int SocketId { get; }

    public int QueuePairs { get; }

    /// <summary>Descriptors of each queue pair: the most ops one g-driver keeps in flight on the device.</summary>
    public int Depth { get; }

    /// <summary>Largest input an op may carry (AAD + body for AEAD; the tag travels apart).</summary>
    public int MaxOpBytes { get; }

    /// <summary>True for a compressdev (deflate), false for a cryptodev.</summary>
    public abstract bool IsCompress { get; }

    internal CryptodevHandle Handle { get; }

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

    /// <summary>Queue pairs no driver holds.</summary>
    public int FreeQueuePairs
    {
        get
        {
            var free = 0;
            for (var i = 0; i < _claimed.Length; i++)
            {
                free += Volatile.Read(ref _claimed[i]) == 0 ? 1 : 0;
            }
            return free;
        }
    }

    /// <summary>Queue pair resets done (device stopped, queue pair set up again, device started).</summary>
    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Queue pair resets that failed: their queue pairs stay claimed, out of service.</summary>
    public long FailedResets => Interlocked.Read(ref _failedResets);

    /// <summary>
    /// A driver is about to enqueue or dequeue: false while a reset has the device stopped (take nothing, return
    /// nothing, try again next visit). Lock-free; once per burst, not per op. Pair each true with <see cref="Exit"/>.
    /// </summary>
    internal bool Enter()
    {
        Interlocked.Increment(ref _inside);
        if (Volatile.Read(ref _resetting) == 0)
        {
            return true;
        }
        Interlocked.Decrement(ref _inside);
        return false;
    }

    internal void Exit() => Interlocked.Decrement(ref _inside);

    /// <summary>
    /// Resets <paramref name="queuePair"/> (held by the caller, whose driver is done with it): pauses the device's
    /// other drivers between their bursts, frees what the queue pair still holds, stops the device, sets the queue
    /// pair up again and starts the device (rte_cryptodev_stop / queue_pair_setup / start, the compressdev ones for a
    /// compressdev). The other queue pairs keep their ops. Returns null, or why the reset failed.
    /// </summary>
    public unsafe string? ResetQueuePair(int queuePair)
    {
        if ((uint)queuePair >= (uint)QueuePairs)
        {
            return $"{Name} has no queue pair {queuePair}";
        }
        // One reset at a time; the others wait (resets are rare: a device that failed, with the node's backoff).
        var spins = new SpinWait();
        while (Interlocked.CompareExchange(ref _resetting, 1, 0) != 0)
        {
            spins.SpinOnce();
        }
        try
        {
            // A burst is microseconds; a driver stuck inside one for a second is a hung PMD: do not stop under it.
            var until = Environment.TickCount64 + 1000;
            while (Volatile.Read(ref _inside) != 0)
            {
                if (Environment.TickCount64 > until)
                {
                    Interlocked.Increment(ref _failedResets);
                    return $"{Name}: a driver stayed inside a burst for 1 s; queue pair {queuePair} not reset";
                }
                spins.SpinOnce();
            }
            var err = stackalloc byte[DpdkNative.ErrorLength];
            err[0] = 0;
            var rc = DpdkNative.QueuePairReset(Handle.DangerousGetHandle(), (ushort)queuePair, err, DpdkNative.ErrorLength);
            if (rc != DpdkNative.Ok)
            {
                Interlocked.Increment(ref _failedResets);
                return DpdkNative.Text(err);
            }
            Interlocked.Increment(ref _resets);
            return null;
        }
        finally
        {
            Volatile.Write(ref _resetting, 0);
        }
    }

    /// <summary>Stops the device once its drivers and sessions are gone (they hold references on it).</summary>
    public void Dispose()
    {
        Handle.Dispose();
        GC.SuppressFinalize(this);
    }

    public override string ToString() => $"{Name} ({DriverName}, socket {SocketId}, {QueuePairs} queue pairs)";

    /// <summary>Checks the arguments, calls the shim's open and wraps the result; throws <see cref="DpdkException"/> saying why not.</summary>
    private protected static unsafe CryptodevHandle OpenHandle(string what, string name, int queuePairs, int depth, int maxOpBytes, bool compress)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!DpdkEal.IsRunning)
        {
            throw new DpdkException($"cannot open {what} {name}: EAL is not running ({DpdkEal.Failure ?? "DpdkEal.TryStart was not called"})");
        }
        if (queuePairs is < 1 or > ushort.MaxValue || depth < 1 || maxOpBytes is < 1 or > MaxSingleSegmentBytes)
        {
            throw new DpdkException($"cannot open {what} {name}: queue pairs {queuePairs}, depth {depth} must be positive and max op bytes {maxOpBytes} in [1, {MaxSingleSegmentBytes}]");
        }
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var err = stackalloc byte[DpdkNative.ErrorLength];
        err[0] = 0;
        var handle = new CryptodevHandle();
        int rc;
        nint device;
        fixed (byte* n = nameBytes)
        {
            rc = compress
                ? DpdkNative.CompressdevOpen(n, (ushort)queuePairs, (uint)depth, (uint)maxOpBytes, out device, err, DpdkNative.ErrorLength)
                : DpdkNative.CryptodevOpen(n, (ushort)queuePairs, (uint)depth, (uint)maxOpBytes, out device, err, DpdkNative.ErrorLength);
        }
        if (rc != DpdkNative.Ok)
        {
            throw new DpdkException(DpdkNative.Text(err));
        }
        handle.Adopt(device);
        return handle;
    }
}
