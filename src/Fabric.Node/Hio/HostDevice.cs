namespace Fabric.Node.Hio;

/// <summary>
/// One acceleration device of this host, as hio found it: a PCI function or one of the software
/// devices every host has. Hardware Fabric cannot drive yet is still listed, with <see cref="Usable"/>
/// false and a <see cref="Reason"/>, so operators see what the host holds.
/// </summary>
/// <param name="Name">Stable on this host across restarts: derived from the PCI address, or fixed for software devices.</param>
/// <param name="Type">One of <see cref="HostDeviceTypes"/>.</param>
/// <param name="PciAddress">Domain:bus:device.function, e.g. "0000:3d:00.0"; empty for software devices.</param>
/// <param name="Vendor">PCI vendor id in hex, followed by a name when known, e.g. "8086 (Intel)".</param>
/// <param name="Model">PCI device id in hex, followed by a name when known, e.g. "37c8 (QAT C62x PF)".</param>
/// <param name="Functions">Fabric function names (<c>AccelerationFunctions</c>) the device could execute; empty when unknown.</param>
/// <param name="QueuePairs">How many queue pairs the device offers; 0 when unknown.</param>
/// <param name="NumaNode">The NUMA node the device hangs off; -1 when unknown.</param>
/// <param name="KernelDriver">Name of the kernel driver bound to the PCI function; null when none is bound or for software devices.</param>
/// <param name="Usable">Whether Fabric can attach guests to it on this host.</param>
/// <param name="Reason">Why the device is not usable, for people; null when usable.</param>
/// <param name="Backing">Software or hardware.</param>
/// <param name="PhysicalFunction">For an SR-IOV virtual function, the PCI address of its physical function (the <c>physfn</c> link).</param>
/// <param name="DpdkPmd">The DPDK PMD that drives this hardware (e.g. "crypto_qat, compress_qat"); null when DPDK has none.</param>
/// <param name="RebindCommand">For hardware a DPDK PMD could drive but a kernel driver holds: the exact command that
/// binds it to vfio-pci (then list it in <c>fabric.node.dpdk.allow-pci</c>); null otherwise.</param>
public sealed record HostDevice(
    string Name,
    string Type,
    string PciAddress,
    string Vendor,
    string Model,
    IReadOnlyList<string> Functions,
    int QueuePairs,
    int NumaNode,
    string? KernelDriver,
    bool Usable,
    string? Reason,
    DeviceBacking Backing,
    string? PhysicalFunction = null,
    string? DpdkPmd = null,
    string? RebindCommand = null);
