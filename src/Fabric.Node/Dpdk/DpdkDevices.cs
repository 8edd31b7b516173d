using System.Text.RegularExpressions;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Dpdk;
using Fabric.Messages.Placement;

namespace Fabric.Node.Dpdk;

/// <summary>
/// DPDK in one fabric-node: EAL started once from <c>fabric.node.dpdk</c>, every cryptodev / compressdev it found
/// opened with the configured queue pairs, described as <see cref="DpdkNodeDevice"/>s, and a factory that creates the
/// g-driver for one (device, function) on a queue pair of its own. When DPDK is off or EAL cannot start,
/// <see cref="Devices"/> is empty and <see cref="Status"/> says why in one line: the node serves the software drivers only.
/// </summary>
public sealed partial class DpdkDevices : IDisposable
{
    public const string CryptoType = "dpdk-crypto";
    public const string CompressionType = "dpdk-compression";

    private readonly Dictionary<string, (DpdkNodeDevice Spec, DpdkDevice Device)> _byName;
    private readonly int _deflateLevel;

    private DpdkDevices(bool running, string status, IReadOnlyList<(DpdkNodeDevice, DpdkDevice)> devices, int deflateLevel)
    {
        Running = running;
        Status = status;
        _byName = devices.ToDictionary(d => d.Item1.Name, d => d);
        Devices = [.. devices.Select(d => d.Item1)];
        _deflateLevel = deflateLevel;
    }

    /// <summary>True when EAL runs in this node (even with no device).</summary>
    public bool Running { get; }

    /// <summary>One line for the node's log: what runs, or why DPDK is not used.</summary>
    public string Status { get; }

    public IReadOnlyList<DpdkNodeDevice> Devices { get; }

    /// <summary>PCI functions EAL may probe: hio marks those bound to vfio-pci usable through their PMD.</summary>
    public IReadOnlyList<string> AllowedPci { get; private init; } = [];

    /// <summary>Starts EAL (once per process) and opens what it found. Never throws for DPDK's own failures.</summary>
    public static DpdkDevices Start(DpdkNodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.Enabled)
        {
            return new DpdkDevices(false, "DPDK is off (fabric.node.dpdk.enabled = off): software drivers only", [], settings.DeflateLevel);
        }
        if (!DpdkEal.TryStart(settings.Eal, out var reason))
        {
            return new DpdkDevices(false, $"{reason}; running with the software drivers only", [], settings.DeflateLevel);
        }
        var opened = new List<(DpdkNodeDevice, DpdkDevice)>();
        var problems = new List<string>();
        var workers = settings.SchedulerWorkers;
        foreach (var info in DpdkDiscovery.List())
        {
            if (workers.Contains(info.Name))
            {
                continue; // the scheduler configures, starts and feeds it
            }
            if (info.Functions.Count == 0)
            {
                problems.Add($"{info.Name} ({info.Driver}) offers no Fabric function");
                continue;
            }
            try
            {
                // One queue pair more than the capacity offered, where the PMD has it: the spare a reset moves a queue
                // to while its old queue pair is still held by the driver being replaced (then reset and freed).
                var device = DpdkDiscovery.Open(info, settings.QueuePairs + 1, settings.QueueDepth);
                opened.Add((Describe(info, device, Math.Min(settings.QueuePairs, device.QueuePairs)), device));
            }
            catch (DpdkException e)
            {
                problems.Add(e.Message);
            }
        }
        var summary = opened.Count == 0
            ? "DPDK: EAL runs but found no usable device (add vdevs or allow-pci)"
            : "DPDK: " + string.Join("; ", opened.Select(d => $"{d.Item1.Name} ({d.Item1.Pmd}, numa {d.Item1.NumaNode}, {d.Item1.QueuePairs} queue pairs: {string.Join(",", d.Item1.Functions)})"));
        if (problems.Count > 0)
        {
            summary += "; not used: " + string.Join("; ", problems);
        }
        return new DpdkDevices(true, summary, opened, settings.DeflateLevel) { AllowedPci = settings.Eal.AllowPci };
    }

    /// <summary>
    /// The g-driver factory for the node's device table: a driver for <paramref name="function"/> on a free queue pair
    /// of device <paramref name="deviceName"/> (a <see cref="DpdkNodeDevice.Name"/>). Throws <see cref="ArgumentException"/>
    /// for an unknown device, a function it does not offer, or when every queue pair is taken.
    /// </summary>
    public IGDriver CreateDriver(string deviceName, string function)
    {
        if (!_byName.TryGetValue(deviceName, out var entry))
        {
            throw new ArgumentException($"no DPDK device {deviceName} on this node; it has: {string.Join(", ", _byName.Keys)}", nameof(deviceName));
        }
        if (!entry.Spec.Functions.Contains(function))
        {
            throw new ArgumentException($"DPDK device {deviceName} ({entry.Spec.Pmd}) does not offer {function}; it offers {string.Join(", ", entry.Spec.Functions)}", nameof(function));
        }
        try
        {
            return new DpdkGDriver(entry.Device, function, _deflateLevel);
        }
        catch (DpdkException e)
        {
            // The factory's contract: a driver it cannot make is an ArgumentException (the node logs it, keeps going).
            throw new ArgumentException($"DPDK device {deviceName}: {e.Message}", nameof(deviceName), e);
        }
    }

    /// <summary><see cref="CreateDriver"/> as the delegate a driver factory keyed by backing takes.</summary>
    public Func<string, string, IGDriver> Factory => CreateDriver;

    /// <summary>Queue pairs of <paramref name="deviceName"/> no driver holds (0 for an unknown device).</summary>
    public int FreeQueuePairs(string deviceName) => _byName.TryGetValue(deviceName, out var e) ? e.Device.FreeQueuePairs : 0;

    private static DpdkNodeDevice Describe(DpdkDeviceInfo info, DpdkDevice device, int capacity)
    {
        var pci = PciPrefix().Match(info.Name) is { Success: true } m ? m.Value : "";
        var type = info.IsCompress ? CompressionType : CryptoType;
        return new DpdkNodeDevice(
            Name: "dpdk-" + NameSafe(info.Name),
            EalName: info.Name,
            Type: type,
            Pmd: info.Driver,
            NumaNode: info.SocketId,
            QueuePairs: capacity,
            Functions: info.Functions,
            PciAddress: pci,
            Traits: [DeviceTraits.OfType(type), DeviceTraits.FabricPrefix + "DPDK_PMD_" + Upper(info.Driver)]);
    }

    private static string NameSafe(string name) =>
        new(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());

    private static string Upper(string name) =>
        new(name.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    [GeneratedRegex(@"^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]")]
    private static partial Regex PciPrefix();

    /// <summary>Stops the devices (after their drivers are disposed: each holds a reference on its device).</summary>
    public void Dispose()
    {
        foreach (var (_, device) in _byName.Values)
        {
            device.Dispose();
        }
    }
}
