namespace Fabric.Node.Compute;

/// <summary>A device this node serves, as its g-driver actor sees it.</summary>
/// <param name="FaultInjecting">The device's driver instances are wrapped in the fault-injecting driver.</param>
/// <param name="Traits">What the host knows of the hardware (vendor, model, attach type), registered with the device.</param>
/// <param name="PciFunctions">For a PCI device (hardware VFs handed to VMs whole): the VFs' addresses, one per unit of
/// capacity; such a device has no g-driver and no AC queues.</param>
/// <param name="Backing">What runs its drivers (<see cref="DeviceBackings"/>): the key of <see cref="DriverFactory"/>.</param>
public sealed record DeviceSpec(
    string DeviceId,
    string Name,
    string Type,
    IReadOnlyList<string> Functions,
    int QueuePairs,
    bool FaultInjecting,
    IReadOnlyList<string>? Traits = null,
    IReadOnlyList<string>? PciFunctions = null,
    string Backing = DeviceBackings.Software);

/// <summary>The backings a device's g-driver can have.</summary>
public static class DeviceBackings
{
    /// <summary>Software g-drivers (<see cref="Fabric.Dataplane.Drivers.GDriverCatalog"/>).</summary>
    public const string Software = "software";

    /// <summary>A DPDK cryptodev or compressdev opened by the node's EAL (<c>fabric.node.dpdk</c>, docs/dpdk.md).</summary>
    public const string Dpdk = "dpdk";
}
