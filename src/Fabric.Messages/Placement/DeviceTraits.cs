using System.Text.RegularExpressions;

namespace Fabric.Messages.Placement;

/// <summary>
/// The trait and resource class vocabulary Fabric shares with OpenStack Placement (docs/cyborg-compat.md): names follow
/// Placement's rules, and every device's traits are derived the same way in every process.
/// </summary>
public static partial class DeviceTraits
{
    public const string GenericResourceClass = "CUSTOM_FABRIC_ACCELERATOR";
    public const string FabricPrefix = "CUSTOM_FABRIC_";
    public const string ChannelAttach = "FABRIC_CHANNEL";
    public const string PciAttach = "PCI";
    /// <summary>A virtio-crypto device served by the AC over a vhost-user socket to a QEMU VM (docs/vhost.md).</summary>
    public const string VhostUserAttach = "VHOST_USER";
    public const int MaxNameLength = 255;

    public static IReadOnlyList<string> AttachTypes { get; } = [ChannelAttach, PciAttach, VhostUserAttach];

    /// <summary>A function's trait: <c>aes-256-gcm</c> is <c>CUSTOM_FABRIC_AES_256_GCM</c>.</summary>
    public static string OfFunction(string function) => FabricPrefix + Upper(function);

    public static string OfType(string type) => FabricPrefix + "TYPE_" + Upper(type);

    public static string OfVendor(string vendorHex) => FabricPrefix + "VENDOR_" + Upper(vendorHex);

    public static string OfModel(string vendorHex, string deviceHex) => FabricPrefix + "MODEL_" + Upper(vendorHex) + "_" + Upper(deviceHex);

    public static string OfAttach(string attachType) => FabricPrefix + "ATTACH_" + Upper(attachType);

    /// <summary>Placement's trait name rule: standard (<c>HW_CPU_X86_AVX</c>) or custom (<c>CUSTOM_*</c>), A-Z, 0-9 and _.</summary>
    public static bool IsTraitName(string? name) => name is { Length: > 0 and <= MaxNameLength } && NamePattern().IsMatch(name);

    /// <summary>Placement's custom trait rule: <c>CUSTOM_</c> then A-Z, 0-9 and _.</summary>
    public static bool IsCustomTrait(string? name) => IsTraitName(name) && name!.StartsWith("CUSTOM_", StringComparison.Ordinal) && name.Length > 7;

    /// <summary>Placement's resource class rule (standard like <c>FPGA</c>, or <c>CUSTOM_*</c>).</summary>
    public static bool IsResourceClass(string? name) => IsTraitName(name);

    /// <summary>The resource classes a device of <paramref name="type"/> offers: the generic one, and Cyborg's for its kind.</summary>
    public static IReadOnlyList<string> ResourceClassesOf(string type) => type switch
    {
        "fpga" => [GenericResourceClass, "FPGA", "CUSTOM_ACCELERATOR_FPGA"],
        "gpu" => [GenericResourceClass, "PGPU", "CUSTOM_ACCELERATOR_GPU"],
        "intel-qat" => [GenericResourceClass, "CUSTOM_QAT", "CUSTOM_ACCELERATOR_QAT"],
        _ => [GenericResourceClass, "CUSTOM_ACCELERATOR_" + Upper(type)],
    };

    /// <summary>
    /// Every trait of a device: its functions', its type's, what its host reported (vendor, model, attach type) and the
    /// operator's. A host that reports no attach type offers Fabric's channel.
    /// </summary>
    public static IReadOnlyList<string> Effective(string type, IEnumerable<string> functions, IEnumerable<string>? host, IEnumerable<string>? custom)
    {
        var traits = new SortedSet<string>(StringComparer.Ordinal) { OfType(type) };
        traits.UnionWith(functions.Select(OfFunction));
        traits.UnionWith(host ?? []);
        if (!traits.Any(t => t.StartsWith(FabricPrefix + "ATTACH_", StringComparison.Ordinal)))
        {
            traits.Add(OfAttach(ChannelAttach));
        }

        traits.UnionWith(custom ?? []);
        return traits.ToArray();
    }

    private static string Upper(string text)
    {
        var chars = text.ToUpperInvariant().ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    [GeneratedRegex("^[A-Z0-9_]+$")]
    private static partial Regex NamePattern();
}
