using System.Text;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Handoff;
using Fabric.Messages.Placement;
using Fabric.Node.Compute;

namespace Fabric.Node.Dpdk;

/// <summary>
/// The <c>VHOST_USER</c> realization on a node (docs/vhost.md, "VMs the node starts"): which devices offer it, which of
/// their functions a vhost-user queue serves, and where its socket lives. DPDK's vhost library needs EAL, so a node
/// without EAL offers it on no device.
/// </summary>
public static class VhostAttach
{
    // sun_path is 108 bytes with its terminating NUL.
    private const int SunPathSize = 108;

    public static string Trait { get; } = DeviceTraits.OfAttach(DeviceTraits.VhostUserAttach);

    /// <summary>Why a node refuses a vhost-user attachment when EAL does not run.</summary>
    public const string NoEal = "VHOST_USER needs DPDK's EAL in the node (vhost library), and this node runs none: start fabric-node with --dpdk on (docs/dpdk.md)";

    /// <summary>True when a vhost-user queue serves <paramref name="function"/> (virtio-crypto's AES-CBC ciphers and chains).</summary>
    public static bool CanServe(string function) => AccelerationEngine.CanServeVhost(function);

    /// <summary>
    /// The devices with the <c>VHOST_USER</c> attach trait added where the node can serve it: EAL runs, the device has AC
    /// queues (not a PCI pool) and one of its functions is virtio-crypto's. Such a device keeps offering Fabric's channel
    /// (a host trait naming one attach type would otherwise replace the channel default).
    /// </summary>
    public static IReadOnlyList<DeviceSpec> Offer(IReadOnlyList<DeviceSpec> devices, bool ealRunning) =>
        !ealRunning ? devices : devices.Select(d => d.PciFunctions is null && d.Functions.Any(CanServe)
            ? d with { Traits = [.. (d.Traits ?? []).Except([Trait, ChannelTrait]), ChannelTrait, Trait] }
            : d).ToArray();

    /// <summary>
    /// The function a vhost-user queue of <paramref name="named"/> runs on a device of <paramref name="functions"/>: the
    /// group's, or (a group naming none) the device's first that virtio-crypto speaks, preferring <c>aes-cbc</c>
    /// (every AES key size: a Linux guest self-tests 128, 192 and 256-bit keys). Null with the reason when there is none.
    /// </summary>
    public static (string? Function, string? Problem) FunctionFor(IReadOnlyList<string> named, IReadOnlyList<string> functions)
    {
        if (named.Count > 1)
        {
            return (null, $"a vhost-user attachment runs one function, the profile names {string.Join(", ", named)}");
        }

        if (named.Count == 1)
        {
            return CanServe(named[0]) ? (named[0], null)
                : (null, $"{named[0]} cannot be served over vhost-user; virtio-crypto speaks {string.Join(", ", functions.Where(CanServe).DefaultIfEmpty("none of the device's functions"))}");
        }

        var served = functions.Where(CanServe).OrderBy(f => f == "aes-cbc" ? 0 : 1).FirstOrDefault();
        return served is null ? (null, "the device runs no function virtio-crypto speaks (AES-CBC ciphers and chains)") : (served, null);
    }

    /// <summary>
    /// The socket of attachment <paramref name="queueId"/>: &lt;root&gt;/&lt;node&gt;-&lt;port&gt;/&lt;id&gt;.sock (the cluster
    /// port keeps two nodes of one name apart, so a file found there is a stale one of this node). A digest replaces a
    /// long id; a root too long for a Unix socket address is refused naming the setting.
    /// </summary>
    public static string SocketPath(string root, string node, int port, string queueId)
    {
        var folder = ChannelDirectory.ForNode(root, node, port);
        try
        {
            return ChannelDirectory.SocketPath(folder, queueId);
        }
        catch (ArgumentException) when (Encoding.UTF8.GetByteCount(folder) + 30 >= SunPathSize)
        {
            throw new ArgumentException($"vhost-user folder {folder} is too long for a Unix socket path (at most {SunPathSize - 1} bytes with the file name): configure a shorter fabric.node.vm.vhost-directory");
        }
    }

    private static string ChannelTrait { get; } = DeviceTraits.OfAttach(DeviceTraits.ChannelAttach);
}
