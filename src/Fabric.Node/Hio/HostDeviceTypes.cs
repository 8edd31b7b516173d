namespace Fabric.Node.Hio;

/// <summary>
/// The device types hio reports. They are the type names the control plane's <c>Device</c> entity
/// receives, so they are part of the wire vocabulary: rename none.
/// </summary>
public static class HostDeviceTypes
{
    public const string IntelQat = "intel-qat";
    public const string Fpga = "fpga";
    public const string Gpu = "gpu";
    public const string CryptoCoprocessor = "crypto-coprocessor";

    /// <summary>A PCI processing accelerator (class 0x1200) that is neither a known FPGA nor a known QAT.</summary>
    public const string ProcessingAccelerator = "processing-accelerator";

    public const string SoftwareCrypto = "sw-crypto";
    public const string SoftwareCompression = "sw-compression";
}
