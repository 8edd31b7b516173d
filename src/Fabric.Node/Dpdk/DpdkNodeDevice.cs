namespace Fabric.Node.Dpdk;

/// <summary>
/// One DPDK device the node serves, ready to become a Fabric device with backing <c>dpdk</c>.
/// </summary>
/// <param name="Name">Fabric's device name: "dpdk-" and EAL's name made URL-safe, e.g. dpdk-crypto-aesni-gcm0.</param>
/// <param name="EalName">EAL's name, e.g. crypto_aesni_gcm0 or 0000:3d:01.0_qat_sym.</param>
/// <param name="Type">dpdk-crypto or dpdk-compression.</param>
/// <param name="Pmd">The poll-mode driver, e.g. crypto_aesni_gcm, crypto_qat, compress_isal.</param>
/// <param name="NumaNode">EAL's socket of the device; -1 when any.</param>
/// <param name="QueuePairs">Queue pairs opened: the device's capacity (one g-driver, one guest queue, each).</param>
/// <param name="Functions">Fabric functions the PMD's capabilities offer.</param>
/// <param name="PciAddress">The PCI function behind a hardware device; empty for a vdev.</param>
/// <param name="Traits">Placement traits: the PMD, as CUSTOM_FABRIC_DPDK_PMD_*.</param>
public sealed record DpdkNodeDevice(
    string Name,
    string EalName,
    string Type,
    string Pmd,
    int NumaNode,
    int QueuePairs,
    IReadOnlyList<string> Functions,
    string PciAddress,
    IReadOnlyList<string> Traits);
