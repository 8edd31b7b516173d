using System.Globalization;
using Fabric.Messages.Placement;

namespace Fabric.Node.Hio;

/// <summary>
/// Cyborg's realization for hardware: a virtual function bound to vfio-pci is handed to a VM whole, as a PCI attach handle.
/// The VFs of one physical function make one device whose capacity is their number (a VF without its physical function
/// in sysfs is a device of its own).
/// </summary>
public static class PciPassthrough
{
    /// <param name="Name">Device name: the type and the physical function's address.</param>
    /// <param name="Functions">The VFs' addresses, in PCI order: one attachable unit each.</param>
    public sealed record Pool(string Name, string Type, IReadOnlyList<string> AccelerationFunctions, IReadOnlyList<string> Traits, IReadOnlyList<string> Functions);

    public static IReadOnlyList<Pool> Pools(HioReport report) => report.Devices
        // A function the node drives through DPDK (usable) is not also handed to VMs.
        .Where(d => d.Backing == DeviceBacking.Hardware && d.KernelDriver == HioScanner.VfioDriver && !d.Usable)
        .GroupBy(d => (d.PhysicalFunction ?? d.PciAddress, d.Type))
        .OrderBy(g => g.Key.Item1, StringComparer.Ordinal)
        .Select(g =>
        {
            var first = g.First();
            return new Pool(
                $"{g.Key.Type}-vfs-{NameSafe(g.Key.Item1)}",
                g.Key.Type,
                first.Functions,
                TraitsOf(first),
                g.Select(d => d.PciAddress).OrderBy(a => a, StringComparer.Ordinal).ToArray());
        })
        .ToArray();

    /// <summary>Vendor and model traits from hio's "8086 (Intel)" / "37c9 (QAT C62x VF)", and the PCI attach type.</summary>
    public static IReadOnlyList<string> TraitsOf(HostDevice device)
    {
        var vendor = HexId(device.Vendor);
        var model = HexId(device.Model);
        var traits = new List<string> { DeviceTraits.OfAttach(DeviceTraits.PciAttach) };
        if (vendor is not null)
        {
            traits.Add(DeviceTraits.OfVendor(vendor));
            if (model is not null)
            {
                traits.Add(DeviceTraits.OfModel(vendor, model));
            }
        }

        return traits;
    }

    private static string? HexId(string labelled)
    {
        var id = labelled.Split(' ', 2)[0];
        return id.Length == 4 && int.TryParse(id, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _) ? id : null;
    }

    private static string NameSafe(string address) =>
        new(address.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
}
