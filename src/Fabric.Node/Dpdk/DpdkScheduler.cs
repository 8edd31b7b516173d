namespace Fabric.Node.Dpdk;

/// <summary>
/// One <c>crypto_scheduler</c> of <c>fabric.node.dpdk.schedulers</c>: several cryptodevs (its workers, vdevs of the
/// node) served as one Fabric device. The scheduler spreads each queue pair's ops over its workers (round-robin), or
/// sends them to the first and to the second when the first fails (fail-over). Its workers are not devices of their own.
/// </summary>
/// <param name="Name">The scheduler's EAL name, e.g. crypto_scheduler0 (the Fabric device: dpdk-crypto-scheduler0).</param>
/// <param name="Mode">round-robin, fail-over (two workers: primary, secondary) or packet-size-distr.</param>
/// <param name="Workers">EAL names of its cryptodevs, each also in <c>vdevs</c>.</param>
public sealed record DpdkScheduler(string Name, string Mode, IReadOnlyList<string> Workers)
{
    public static IReadOnlyList<string> Modes { get; } = ["round-robin", "fail-over", "packet-size-distr"];

    /// <summary>The vdev EAL creates it from (after its workers: EAL probes vdevs in order).</summary>
    public string Vdev => $"crypto_scheduler,name={Name},mode={Mode}," + string.Join(",", Workers.Select(w => "worker=" + w));
}
