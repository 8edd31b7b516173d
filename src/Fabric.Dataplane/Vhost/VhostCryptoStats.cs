namespace Fabric.Dataplane.Vhost;

/// <summary>
/// A vhost-crypto backend's counters: requests taken from the guest, answered (any status), answered with an error,
/// crypto sessions the guest created and those refused (not AES-CBC, bad key, not the queue's function), whether a
/// guest's device is live, and how many have been.
/// </summary>
public readonly record struct VhostCryptoStats(
    ulong Fetched, ulong Completed, ulong Failed, ulong Sessions, ulong SessionsRefused, bool GuestReady, uint GuestsSeen);
