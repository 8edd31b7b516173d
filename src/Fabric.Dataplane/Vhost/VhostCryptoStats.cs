namespace Fabric.Dataplane.Vhost;

/// <summary>
/// A vhost-crypto backend's counters: requests taken from the guest, answered (any status), answered with an error,
/// polls where the cryptodev queue pair was full, whether a guest's device is live, and how many have been.
/// </summary>
public readonly record struct VhostCryptoStats(
    ulong Fetched, ulong Completed, ulong Failed, ulong EnqueueStalls, bool GuestReady, uint GuestsSeen);
