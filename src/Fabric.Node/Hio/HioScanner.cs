using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Fabric.Messages.Functions;

namespace Fabric.Node.Hio;

/// <summary>
/// hio discovery: finds this host's acceleration devices by scanning sysfs for known accelerator
/// PCI functions, and adds the software devices every host has. Hardware is reported honestly: a function a DPDK PMD
/// drives (QAT, AMD CCP) is usable when it is bound to vfio-pci and the node's EAL may probe it
/// (<c>fabric.node.dpdk.allow-pci</c>); otherwise it is listed with what would make it usable (the exact rebind
/// command), and hardware without a DPDK PMD as present but not usable.
/// One bad sysfs entry never fails the scan; it is skipped with a reason.
/// </summary>
public sealed class HioScanner
{
    public const string DefaultSysfsRoot = "/sys";
    public const int DefaultSoftwareQueuePairs = 16;

    public const string VfioDriver = "vfio-pci";

    private static readonly IReadOnlyList<string> SoftwareCryptoFunctions =
    [
        AccelerationFunctions.Aes256Gcm,
        AccelerationFunctions.ChaCha20Poly1305,
        AccelerationFunctions.Sha256,
        AccelerationFunctions.HmacSha256,
        AccelerationFunctions.Crc32C,
        AccelerationFunctions.Aes128Cbc,
        AccelerationFunctions.Aes256Cbc,
        AccelerationFunctions.Aes128CbcHmacSha1,
        AccelerationFunctions.Aes256CbcHmacSha1,
        AccelerationFunctions.Aes128CbcHmacSha256,
        AccelerationFunctions.Aes256CbcHmacSha256,
        AccelerationFunctions.Aes128Gcm,
        AccelerationFunctions.AesCbc,
    ];

    private static readonly IReadOnlyList<string> SoftwareCompressionFunctions =
    [
        AccelerationFunctions.Deflate,
        AccelerationFunctions.Brotli,
        AccelerationFunctions.Crc32C,
    ];

    private readonly string _sysfsRoot;
    private readonly HashSet<string> _dpdkPci;

    /// <param name="sysfsRoot">Where sysfs is mounted; tests point it at a fixture tree.</param>
    /// <param name="dpdkPci">PCI addresses the node's EAL probes (<c>fabric.node.dpdk.allow-pci</c>, when EAL runs):
    /// such a function, bound to vfio-pci with a DPDK PMD, is usable through DPDK rather than handed to VMs whole.</param>
    public HioScanner(string sysfsRoot = DefaultSysfsRoot, IEnumerable<string>? dpdkPci = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sysfsRoot);
        _sysfsRoot = sysfsRoot;
        _dpdkPci = new HashSet<string>(dpdkPci ?? [], StringComparer.OrdinalIgnoreCase);
    }

    public string SysfsRoot => _sysfsRoot;

    /// <summary>The software devices every host has, backed by the host CPU.</summary>
    /// <param name="queuePairs">Capacity each software device offers.</param>
    public static IReadOnlyList<HostDevice> SoftwareDevices(int queuePairs = DefaultSoftwareQueuePairs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queuePairs);
        return
        [
            Software("sw-crypto-0", HostDeviceTypes.SoftwareCrypto, SoftwareCryptoFunctions, queuePairs),
            Software("sw-compression-0", HostDeviceTypes.SoftwareCompression, SoftwareCompressionFunctions, queuePairs),
        ];
    }

    /// <summary>The PCI scan followed by the software devices: everything this host can register.</summary>
    public HioReport Discover(int softwareQueuePairs = DefaultSoftwareQueuePairs)
    {
        var software = SoftwareDevices(softwareQueuePairs);
        var pci = ScanPci();
        return pci with { Devices = [.. pci.Devices, .. software] };
    }

    /// <summary>Only the accelerators on the PCI bus, in PCI address order.</summary>
    public HioReport ScanPci()
    {
        var devicesDirectory = Path.Combine(_sysfsRoot, "bus", "pci", "devices");
        if (!Directory.Exists(devicesDirectory))
        {
            return Empty($"no PCI device directory at {devicesDirectory}: sysfs missing or not mounted, no hardware accelerators discovered");
        }

        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries(devicesDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Empty($"cannot list {devicesDirectory}: {e.Message}; no hardware accelerators discovered");
        }
        // Ordinal order of the addresses keeps the device list (and the CLI output) stable across scans.
        Array.Sort(entries, StringComparer.Ordinal);

        var devices = new List<HostDevice>();
        var skipped = new List<HioSkippedEntry>();
        var ignored = 0;
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            try
            {
                if (Inspect(entry, name, out var device, out var skipReason))
                {
                    devices.Add(device);
                }
                else if (skipReason is not null)
                {
                    skipped.Add(new HioSkippedEntry(name, skipReason));
                }
                else
                {
                    ignored++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The device went away or changed under the scan (hot unplug, driver rebinding).
                skipped.Add(new HioSkippedEntry(name, $"unreadable: {e.Message}"));
            }
        }
        return new HioReport(_sysfsRoot, devices, entries.Length, ignored, skipped, []);
    }

    /// <returns>
    /// True with a device for a recognized accelerator; false with a reason for an entry that could not
    /// be classified; false without a reason for a PCI function that is no accelerator.
    /// </returns>
    private bool Inspect(string path, string name, [NotNullWhen(true)] out HostDevice? device, out string? skipReason)
    {
        device = null;
        if (!Directory.Exists(path))
        {
            skipReason = "not a directory, so not a PCI function";
            return false;
        }
        if (!TryReadId(path, "vendor", 4, out var vendor, out skipReason)
            || !TryReadId(path, "device", 4, out var deviceId, out skipReason))
        {
            return false;
        }
        int? pciClass = TryReadId(path, "class", 6, out var code, out var classProblem) ? code : null;

        var kind = PciCatalog.Recognize((ushort)vendor, (ushort)deviceId, pciClass);
        if (kind is null)
        {
            // Without a class only the id rules could match; say so rather than count it as "no accelerator".
            skipReason = pciClass is null ? $"cannot classify: {classProblem}" : null;
            return false;
        }

        var driver = ReadDriver(path);
        var usable = kind.DpdkPmd is not null && driver == VfioDriver && _dpdkPci.Contains(name);
        var rebind = kind.DpdkPmd is not null && driver != VfioDriver ? RebindCommand(name) : null;
        device = new HostDevice(
            Name: $"{kind.NamePrefix}-{NameSafe(name)}",
            Type: kind.Type,
            PciAddress: name,
            Vendor: Labelled((ushort)vendor, PciCatalog.VendorName((ushort)vendor)),
            Model: Labelled((ushort)deviceId, kind.ModelName),
            Functions: kind.IsQat ? QatFunctions(path, kind.Functions) : kind.Functions,
            QueuePairs: kind.QueuePairs,
            NumaNode: ReadNumaNode(path),
            KernelDriver: driver,
            Usable: usable,
            Reason: usable ? null : NotUsableReason(kind, name, driver, rebind),
            Backing: DeviceBacking.Hardware,
            PhysicalFunction: ReadLinkName(path, "physfn"),
            DpdkPmd: kind.DpdkPmd,
            RebindCommand: rebind);
        skipReason = null;
        return true;
    }

    /// <summary>
    /// What hands a PCI function to vfio-pci (and so to DPDK): dpdk-devbind.py ships with Debian's dpdk package and
    /// unbinds the kernel driver first; vfio-pci must be loaded.
    /// </summary>
    public static string RebindCommand(string pciAddress) => $"modprobe vfio-pci && dpdk-devbind.py --bind=vfio-pci {pciAddress}";

    private static string NotUsableReason(PciKind kind, string address, string? driver, string? rebind)
    {
        if (kind.DpdkPmd is { } pmd)
        {
            return driver == VfioDriver
                ? $"bound to {VfioDriver} for passthrough; to drive it through DPDK's {pmd} instead, add {address} to fabric.node.dpdk.allow-pci"
                : $"{(driver is null ? "no kernel driver bound" : $"kernel driver {driver}")}; to drive it through DPDK's {pmd}: {rebind}, then add {address} to fabric.node.dpdk.allow-pci";
        }
        var type = kind.Type;
        var reason = $"no Fabric g-driver frontend for {type}";
        return driver switch
        {
            null => $"{reason} (no kernel driver bound)",
            VfioDriver => $"{reason} (bound to {VfioDriver} for passthrough)",
            _ => $"{reason} (kernel driver {driver})",
        };
    }

    /// <summary>
    /// A gen4 QAT runs either crypto or compression services, as configured in qat/cfg_services
    /// ("sym;asym", "dc", "sym;dc"...): list only the functions the configured services execute.
    /// Without that file (older generations, VFs) every function the model has is listed.
    /// </summary>
    private static IReadOnlyList<string> QatFunctions(string path, IReadOnlyList<string> modelFunctions)
    {
        if (!TryReadText(Path.Combine(path, "qat"), "cfg_services", out var services, out _))
        {
            return modelFunctions;
        }
        var configured = services.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var symmetric = configured.Contains("sym", StringComparer.OrdinalIgnoreCase);
        var compression = configured.Any(s => s.StartsWith("dc", StringComparison.OrdinalIgnoreCase));
        return modelFunctions
            .Where(f => f == AccelerationFunctions.Deflate ? compression : symmetric)
            .ToArray();
    }

    private static bool TryReadId(string path, string attribute, int maxDigits, out int value, out string? problem)
    {
        value = 0;
        if (!TryReadText(path, attribute, out var text, out problem))
        {
            return false;
        }
        var digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        if (digits.Length == 0
            || digits.Length > maxDigits
            || !int.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value))
        {
            problem = $"{attribute}: not a hex id \"{Printable(text)}\"";
            return false;
        }
        return true;
    }

    private static bool TryReadText(string directory, string attribute, out string text, out string? problem)
    {
        text = "";
        var file = Path.Combine(directory, attribute);
        if (!File.Exists(file) && !Directory.Exists(file))
        {
            problem = $"{attribute}: missing";
            return false;
        }
        try
        {
            text = File.ReadAllText(file).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{attribute}: unreadable ({e.GetType().Name})";
            return false;
        }
        problem = null;
        return true;
    }

    private static int ReadNumaNode(string path)
    {
        // Single-node hosts report -1; a missing or odd value means the same to a scheduler: unknown.
        return TryReadText(path, "numa_node", out var text, out _)
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var node)
            && node >= 0
                ? node
                : -1;
    }

    /// <summary>The bound kernel driver is the name the <c>driver</c> symlink points at; no link, no driver.</summary>
    private static string? ReadDriver(string path) => ReadLinkName(path, "driver");

    /// <summary>The last path element a sysfs symlink (<c>driver</c>, <c>physfn</c>) points at; null without the link.</summary>
    private static string? ReadLinkName(string path, string link)
    {
        try
        {
            var file = new FileInfo(Path.Combine(path, link));
            var target = file.LinkTarget ?? new DirectoryInfo(Path.Combine(path, link)).LinkTarget;
            if (target is null)
            {
                return null;
            }
            var name = Path.GetFileName(target.TrimEnd('/'));
            return name.Length == 0 ? null : name;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Labelled(ushort id, string? label) =>
        label is null
            ? id.ToString("x4", CultureInfo.InvariantCulture)
            : $"{id.ToString("x4", CultureInfo.InvariantCulture)} ({label})";

    /// <summary>"0000:3d:00.0" becomes "0000-3d-00-0": device names travel in URLs and entity ids.</summary>
    private static string NameSafe(string address)
    {
        var chars = address.ToLowerInvariant().ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]))
            {
                chars[i] = '-';
            }
        }
        return new string(chars);
    }

    private static string Printable(string text)
    {
        var shortened = text.Length > 32 ? text[..32] + "..." : text;
        return new string(shortened.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }

    private static HostDevice Software(string name, string type, IReadOnlyList<string> functions, int queuePairs) =>
        new(
            Name: name,
            Type: type,
            PciAddress: "",
            Vendor: "fabric",
            Model: "host CPU",
            Functions: functions,
            QueuePairs: queuePairs,
            NumaNode: -1,
            KernelDriver: null,
            Usable: true,
            Reason: null,
            Backing: DeviceBacking.Software);

    private HioReport Empty(string diagnostic) => new(_sysfsRoot, [], 0, 0, [], [diagnostic]);
}
