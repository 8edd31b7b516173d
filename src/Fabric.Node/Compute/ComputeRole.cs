using Akka.Actor;
using Fabric.Control.Hosting;
using Fabric.Messages.Functions;

namespace Fabric.Node.Compute;

/// <summary>Starts the compute role of a node: its node agent over the devices this host offers.</summary>
public static class ComputeRole
{
    public const string FaultInjectingDeviceName = "fault-injecting-crypto-0";

    public static IActorRef Start(FabricNode node, IReadOnlyList<DeviceSpec> devices, ComputeSettings settings) =>
        node.System.ActorOf(NodeAgent.Props(node.Options.NodeName, devices, node.Control, settings), NodeAgent.Name);

    /// <summary>The software devices every host has, plus the fault-injecting one when configured.</summary>
    public static IReadOnlyList<DeviceSpec> SoftwareDevices(string node, ComputeSettings settings)
    {
        string[] crypto = [AccelerationFunctions.Aes256Gcm, AccelerationFunctions.ChaCha20Poly1305, AccelerationFunctions.Sha256, AccelerationFunctions.HmacSha256, AccelerationFunctions.Crc32C];
        var devices = new List<DeviceSpec>
        {
            new($"{node}/sw-crypto-0", "sw-crypto-0", "sw-crypto", crypto, settings.SoftwareQueuePairs, false),
            new($"{node}/sw-compression-0", "sw-compression-0", "sw-compression",
                [AccelerationFunctions.Deflate, AccelerationFunctions.Brotli, AccelerationFunctions.Crc32C], settings.SoftwareQueuePairs, false),
        };
        if (settings.FaultInjectionDevice)
        {
            devices.Add(new DeviceSpec($"{node}/{FaultInjectingDeviceName}", FaultInjectingDeviceName, "fault-injecting-crypto", crypto, settings.SoftwareQueuePairs, true));
        }

        return devices;
    }
}
