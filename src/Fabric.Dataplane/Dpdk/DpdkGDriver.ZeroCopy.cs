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
    private uint _requestFlags;
    private long _zeroCopied;

    /// <summary>Input length from which an op goes zero copy (shorter ones are copied).</summary>
    public int ZeroCopyFrom => (int)_zeroCopyFrom;

    /// <summary>What this driver does with channel buffers (<see cref="DpdkZeroCopy"/>).</summary>
    public DpdkZeroCopy ZeroCopyMode => _zeroCopyMode;

    /// <summary>True once the channel is registered and its ops go to the device without (some) copies.</summary>
    public bool ZeroCopyActive => Volatile.Read(ref _region) != 0;

    /// <summary>Why the channel's ops are copied after all (the device's mode, a registration failure); null when not.</summary>
    public string? ZeroCopyProblem { get; private set; }

    /// <summary>Ops the device read (and in <see cref="DpdkZeroCopy.Full"/> wrote) in the guest's slots.</summary>
    public long ZeroCopyOps => Volatile.Read(ref _zeroCopied);

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
        if (!_device.DoesZeroCopy || (_zeroCopyMode == DpdkZeroCopy.Input && (_device.ZeroCopyMode & DpdkNative.ZeroCopyOutOfPlace) == 0 && Kind == DriverKind.Aead))
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
        Volatile.Write(ref _region, id);
    }

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
