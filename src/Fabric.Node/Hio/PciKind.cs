namespace Fabric.Node.Hio;

/// <summary>What <see cref="PciCatalog"/> knows about a recognized PCI function.</summary>
/// <param name="Type">One of <see cref="HostDeviceTypes"/>.</param>
/// <param name="NamePrefix">Prefix of the device name, followed by the PCI address.</param>
/// <param name="ModelName">Human name of the model, null when only the class is known.</param>
/// <param name="Functions">Fabric functions the hardware could execute; empty when unknown.</param>
/// <param name="QueuePairs">Queue pairs the hardware offers; 0 when unknown.</param>
/// <param name="IsQat">Whether the QAT service configuration (qat/cfg_services) applies.</param>
/// <param name="DpdkPmd">The DPDK poll-mode driver that drives the function once bound to vfio-pci; null when none.</param>
internal sealed record PciKind(
    string Type,
    string NamePrefix,
    string? ModelName,
    IReadOnlyList<string> Functions,
    int QueuePairs,
    bool IsQat,
    string? DpdkPmd = null);
