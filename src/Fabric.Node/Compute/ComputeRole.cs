using Akka;
using Akka.Actor;
using Akka.Event;
using Fabric.Control.Hosting;
using Fabric.Control.Nodes;
using Fabric.Node.Dpdk;
using Fabric.Node.Hio;

namespace Fabric.Node.Compute;

/// <summary>Starts the compute role of a node: its node agent over the devices this host offers.</summary>
public static class ComputeRole
{
    public const string FaultInjectingDeviceName = "fault-injecting-crypto-0";

    public static IActorRef Start(FabricNode node, IReadOnlyList<DeviceSpec> devices, ComputeSettings settings, DriverFactory? drivers = null)
    {
        var agent = node.System.ActorOf(NodeAgent.Props(node.Options.NodeName, devices, node.Control, settings, drivers), NodeAgentPath.Name);
        node.Registry.Register<NodeAgentActor>(agent);
        // Leaving (SIGTERM, Ctrl+C, fabric-cmd cluster leave): guests' posted work completes before the node goes.
        var drainBudget = settings.DrainTimeout + settings.DrainGrace;
        CoordinatedShutdown.Get(node.System).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "drain-acceleration-core", async () =>
        {
            try
            {
                await agent.Ask<NodeDrained>(DrainNode.Instance, drainBudget);
            }
            catch (AskTimeoutException)
            {
                node.System.Log.Warning("node leaving: the AC did not drain within {0}; its queues end with it", drainBudget);
            }

            return Done.Instance;
        });
        return agent;
    }

    /// <summary>
    /// The devices this node serves: every device hio found usable (today the software g-drivers; hardware without a
    /// Fabric frontend is reported, not served), the VFs bound to vfio-pci as PCI devices (one per physical function,
    /// <c>fabric.node.pci-passthrough</c>), the DPDK devices EAL opened (backing <c>dpdk</c>; hardware hio found usable
    /// through a PMD is served as the DPDK device, not twice), plus the fault-injecting crypto device when configured.
    /// </summary>
    public static IReadOnlyList<DeviceSpec> Devices(string node, HioReport hio, ComputeSettings settings, IReadOnlyList<DpdkNodeDevice>? dpdk = null)
    {
        var devices = hio.Devices
            .Where(d => d.Usable && d.DpdkPmd is null)
            .Select(d => new DeviceSpec($"{node}/{d.Name}", d.Name, d.Type, d.Functions, d.QueuePairs, FaultInjecting: false))
            .ToList();
        devices.AddRange((dpdk ?? []).Select(d => new DeviceSpec($"{node}/{d.Name}", d.Name, d.Type, d.Functions, d.QueuePairs,
            FaultInjecting: false, d.Traits, Backing: DeviceBackings.Dpdk)));
        if (settings.PciPassthrough)
        {
            devices.AddRange(PciPassthrough.Pools(hio).Select(p => new DeviceSpec($"{node}/{p.Name}", p.Name, p.Type, p.AccelerationFunctions,
                p.Functions.Count, FaultInjecting: false, p.Traits, p.Functions)));
        }

        if (settings.FaultInjectionDevice)
        {
            var crypto = hio.Devices.First(d => d.Type == HostDeviceTypes.SoftwareCrypto);
            devices.Add(new DeviceSpec($"{node}/{FaultInjectingDeviceName}", FaultInjectingDeviceName, "fault-injecting-crypto",
                crypto.Functions, settings.FaultInjectionQueuePairs, FaultInjecting: true));
        }

        return devices;
    }

    /// <summary>hio on the configured sysfs root, with the configured software capacity.</summary>
    public static HioReport Discover(ComputeSettings settings, IEnumerable<string>? dpdkPci = null) =>
        new HioScanner(settings.SysfsRoot, dpdkPci).Discover(settings.SoftwareQueuePairs);

    /// <summary>The driver factory of a node whose EAL opened <paramref name="dpdk"/>: software, and DPDK devices by name.</summary>
    public static DriverFactory Drivers(DpdkDevices dpdk, int deflateSliceBytes = Fabric.Dataplane.Drivers.DeflateDriver.DefaultSliceBytes) =>
        dpdk.Devices.Count == 0 ? DriverFactory.Software(deflateSliceBytes) : DriverFactory.Software(deflateSliceBytes).With(DeviceBackings.Dpdk, (device, chain) => dpdk.CreateDriver(device.Name, chain));
}
