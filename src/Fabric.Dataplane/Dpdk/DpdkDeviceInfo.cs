namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// One device EAL probed, as its capabilities describe it: <paramref name="Functions"/> are Fabric's names
/// (<see cref="DpdkGDriver.Functions"/>) for what the PMD offers, <paramref name="MaxQueuePairs"/> its queue pairs
/// (0: the PMD sets no limit).
/// </summary>
public sealed record DpdkDeviceInfo(
    string Name,
    string Driver,
    bool IsCompress,
    int SocketId,
    int MaxQueuePairs,
    IReadOnlyList<string> Functions,
    bool Aes128Gcm);
