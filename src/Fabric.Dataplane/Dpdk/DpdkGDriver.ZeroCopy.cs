using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// Zero copy: the channel's mapping registered as DPDK external memory (the shim's fd_region_add, refcounted per
/// mapping: a driver swap registers it again while the old driver still holds it), DMA-mapped for a PCI device, and
/// named in every op; the shim attaches mbufs to the guest's slots after checking they lie in the arena.
/// </summary>
public partial class DpdkGDriver
{
    /// <summary>
    /// Ops with less input than this are copied, in every mode. Attaching guest memory costs two mbufs and their
    /// external-buffer bookkeeping per op, which a small op's copy (one mbuf, two short memcpys) undercuts: at 64 B the
    /// copy path ran 5.5 M ops/s through a channel against 4.8 M for input zero copy; at 1 KiB they were level
    /// (fabric-bench --only dpdk-zero-copy; docs/dpdk.md).
    /// </summary>
    public const int DefaultZeroCopyFrom = 1024;

    private readonly DpdkZeroCopy _zeroCopyMode;
    private readonly uint _zeroCopyFrom;
    /// <summary>The shim's region id of the channel this driver serves (0: none, every op copied).</summary>
    private uint _region;
    /// <summary>Keeps the channel mapped while the device may still touch it (released after the queue pair's reset).</summary>
    private ChannelArenaLease? _lease;
    /// <summary>The shim's request flags of opens and the other ops, and of AEAD seals (<see cref="DpdkZeroCopy.Auto"/>).</summary>
    private uint _requestFlags;
    private uint _sealFlags;
    private long _forgotten;
    private long _zeroCopied;
    private long _outputZeroCopied;

    /// <summary>Input length from which an op goes zero copy (shorter ones are copied).</summary>
    public int ZeroCopyFrom => (int)_zeroCopyFrom;

    /// <summary>What this driver does with channel buffers (<see cref="DpdkZeroCopy"/>).</summary>
    public DpdkZeroCopy ZeroCopyMode => _zeroCopyMode;

    /// <summary>True once the channel is registered and its ops go to the device without (some) copies.</summary>
    public bool ZeroCopyActive => Volatile.Read(ref _region) != 0;

    /// <summary>Why the channel's ops are copied after all (the device's mode, a registration failure); null when not.</summary>
    public string? ZeroCopyProblem { get; private set; }

    /// <summary>
    /// Ops given up on while the device held them and would have written their output in the guest's slot, whose
    /// output the device was made to write to a scratch buffer instead (<see cref="Forget"/>).
    /// </summary>
    public long Forgotten => Volatile.Read(ref _forgotten);

    /// <summary>Ops the device read (and in <see cref="DpdkZeroCopy.Full"/> wrote) in the guest's slots.</summary>
    public long ZeroCopyOps => Volatile.Read(ref _zeroCopied);

    /// <summary>Of <see cref="ZeroCopyOps"/>, those whose output the device wrote in the guest's slot itself (no copy out).</summary>
    public long OutputZeroCopyOps => Volatile.Read(ref _outputZeroCopied);

    public unsafe void UseArena(ChannelArenaLease? lease)
    {
        if (lease is not null && _lease is not null && lease.Arena == _lease.Arena)
        {
            lease.Dispose(); // the same channel again
            return;
        }
        if (_region != 0)
        {
            if (DeviceHoldsOurOps)
            {
                lease?.Dispose(); // ops of the old channel still name its region: keep it (the new channel's ops are copied)
                return;
            }
            ReleaseArena();
        }
        ZeroCopyProblem = null;
        if (lease is null || _disposed || _zeroCopyMode == DpdkZeroCopy.Off)
        {
            lease?.Dispose();
            return;
        }
        var a = lease.Arena;
        if (!_device.DoesZeroCopy || (_zeroCopyMode is DpdkZeroCopy.Input or DpdkZeroCopy.Auto && (_device.ZeroCopyMode & DpdkNative.ZeroCopyOutOfPlace) == 0 && Kind == DriverKind.Aead))
        {
            ZeroCopyProblem = $"{_device.Name} copies: {_device.ZeroCopy}";
            lease.Dispose();
            return;
        }
        var err = stackalloc byte[DpdkNative.ErrorLength];
        err[0] = 0;
        if (DpdkNative.RegionAdd(a.MapBase, (nuint)a.MapLength, (nuint)a.PageSize, a.Arena, (nuint)a.ArenaLength, out var id, err, DpdkNative.ErrorLength) != DpdkNative.Ok)
        {
            ZeroCopyProblem = DpdkNative.Text(err);
            lease.Dispose();
            return;
        }
        if (DpdkNative.RegionUse(_deviceHandle, id, err, DpdkNative.ErrorLength) != DpdkNative.Ok)
        {
            DpdkNative.RegionRelease(id);
            ZeroCopyProblem = DpdkNative.Text(err);
            lease.Dispose();
            return;
        }
        _lease = lease;
        _requestFlags = _zeroCopyMode == DpdkZeroCopy.Full ? DpdkNative.RequestZeroCopyOutput : 0;
        _sealFlags = _zeroCopyMode == DpdkZeroCopy.Full || (_zeroCopyMode == DpdkZeroCopy.Auto && Kind == DriverKind.Aead && _device.WorksInCallersThread)
            ? DpdkNative.RequestZeroCopyOutput
            : 0;
        Volatile.Write(ref _region, id);
    }

    /// <summary>
    /// The AC gave up on an op (user tag <paramref name="userTag"/>) whose output the device writes in the guest's slot:
    /// on a device that works only inside the AC's calls (a software PMD), the op still inside it is pointed at a
    /// scratch buffer, so when it runs nothing is written where the guest may already have put something else. A
    /// hardware device has the op's addresses already: there the risk stays, which is why only
    /// <see cref="DpdkZeroCopy.Full"/>, chosen by the operator, writes guest slots on hardware.
    /// </summary>
    private void Forget(ulong userTag)
    {
        if (_compress || !_device.WorksInCallersThread)
        {
            return;
        }
        if (DpdkNative.AeadForget(_deviceHandle, _queuePair, userTag) == 1)
        {
            Volatile.Write(ref _forgotten, _forgotten + 1);
        }
    }

    /// <summary>Whether the device writes this request's output in the guest's slot (output zero copy on a registered region).</summary>
    private static bool WritesGuest(in DpdkNative.AeadRequest n) => n.Region != 0 && (n.Flags & DpdkNative.RequestZeroCopyOutput) != 0;

    /// <summary>Drops the registration (the device holds none of this driver's ops any more, or never will again).</summary>
    private void ReleaseArena()
    {
        var id = _region;
        if (id == 0)
        {
            return;
        }
        Volatile.Write(ref _region, 0);
        DpdkNative.RegionUnuse(_deviceHandle, id);
        DpdkNative.RegionRelease(id);
        Interlocked.Exchange(ref _lease, null)?.Dispose(); // last: the channel may be unmapped from here on
    }
}
