using System.Globalization;

namespace Fabric.Node.Hio;

/// <summary>
/// The outcome of a hio discovery: the devices found, plus what was looked at and left out, so an
/// operator can tell "no accelerator here" from "could not read sysfs".
/// </summary>
/// <param name="SysfsRoot">The sysfs root that was scanned.</param>
/// <param name="Devices">Hardware devices in PCI address order, then software devices when included.</param>
/// <param name="PciEntries">Entries seen under bus/pci/devices.</param>
/// <param name="IgnoredPciEntries">Readable PCI functions that are no accelerator (NICs, storage, bridges...).</param>
/// <param name="Skipped">Entries that could not be classified, each with its reason.</param>
/// <param name="Diagnostics">Problems with the scan as a whole, e.g. a missing sysfs root.</param>
public sealed record HioReport(
    string SysfsRoot,
    IReadOnlyList<HostDevice> Devices,
    int PciEntries,
    int IgnoredPciEntries,
    IReadOnlyList<HioSkippedEntry> Skipped,
    IReadOnlyList<string> Diagnostics)
{
    /// <summary>Devices found, hardware and software.</summary>
    public int Found => Devices.Count;

    /// <summary>Devices Fabric can attach guests to.</summary>
    public int Usable => Devices.Count(d => d.Usable);

    /// <summary>Accelerators found on the PCI bus, usable or not.</summary>
    public int HardwareFound => Devices.Count(d => d.Backing == DeviceBacking.Hardware);

    /// <summary>Human-readable lines for a CLI or a log: a summary, one line per device, then what was skipped.</summary>
    public IReadOnlyList<string> ToLines()
    {
        var lines = new List<string>
        {
            string.Create(
                CultureInfo.InvariantCulture,
                $"hio ({SysfsRoot}): {Found} devices found, {Usable} usable; PCI: {PciEntries} entries, {HardwareFound} accelerators, {IgnoredPciEntries} ignored, {Skipped.Count} skipped"),
        };
        foreach (var device in Devices)
        {
            lines.Add("  " + Describe(device));
        }
        foreach (var skipped in Skipped)
        {
            lines.Add($"  skipped {skipped.Entry}: {skipped.Reason}");
        }
        foreach (var diagnostic in Diagnostics)
        {
            lines.Add($"  note: {diagnostic}");
        }
        return lines;
    }

    private static string Describe(HostDevice device)
    {
        var where = device.Backing == DeviceBacking.Software
            ? "software"
            : $"{device.PciAddress} {device.Vendor} {device.Model} numa {device.NumaNode} driver {device.KernelDriver ?? "none"}";
        var functions = device.Functions.Count == 0 ? "functions unknown" : string.Join(",", device.Functions);
        var state = device.Usable
            ? device.Backing == DeviceBacking.Hardware && device.DpdkPmd is { } pmd ? $"usable through DPDK ({pmd})" : "usable"
            : $"not usable: {device.Reason}";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{device.Name} [{device.Type}] {where}; {device.QueuePairs} queue pairs; {functions}; {state}");
    }
}
