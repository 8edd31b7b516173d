using Akka.Actor;
using Fabric.Control.Hosting;
using Fabric.Node.Hio;

namespace Fabric.Node.Compute;

/// <summary>Starts the compute role of a node: its node agent over the devices this host offers.</summary>
public static class ComputeRole
{
    public const string FaultInjectingDeviceName = "fault-injecting-crypto-0";

    public static IActorRef Start(FabricNode node, IReadOnlyList<DeviceSpec> devices, ComputeSettings settings) =>
        node.System.ActorOf(NodeAgent.Props(node.Options.NodeName, devices, node.Control, settings), NodeAgent.Name);

    /// <summary>
    /// The devices this node serves: every device hio found usable (today the software g-drivers; hardware without a
    /// Fabric frontend is reported, not served), plus the fault-injecting crypto device when configured.
    /// </summary>
    public static IReadOnlyList<DeviceSpec> Devices(string node, HioReport hio, ComputeSettings settings)
    {
        var devices = hio.Devices
            .Where(d => d.Usable)
            .Select(d => new DeviceSpec($"{node}/{d.Name}", d.Name, d.Type, d.Functions, d.QueuePairs, FaultInjecting: false))
            .ToList();
        if (settings.FaultInjectionDevice)
        {
            var crypto = hio.Devices.First(d => d.Type == HostDeviceTypes.SoftwareCrypto);
            devices.Add(new DeviceSpec($"{node}/{FaultInjectingDeviceName}", FaultInjectingDeviceName, "fault-injecting-crypto",
                crypto.Functions, settings.FaultInjectionQueuePairs, FaultInjecting: true));
        }

        return devices;
    }

    /// <summary>hio on the configured sysfs root, with the configured software capacity.</summary>
    public static HioReport Discover(ComputeSettings settings) =>
        new HioScanner(settings.SysfsRoot).Discover(settings.SoftwareQueuePairs);
}
