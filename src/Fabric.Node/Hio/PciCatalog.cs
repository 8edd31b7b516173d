using Fabric.Messages.Functions;

namespace Fabric.Node.Hio;

/// <summary>
/// The PCI functions hio recognizes as accelerators, by vendor/device id first (so a QAT is a QAT
/// whatever class it advertises) and by PCI class second. Ids come from the Linux drivers that bind
/// them (drivers/crypto/intel/qat, drivers/fpga/dfl-pci.c), so the table only claims what a kernel
/// driver claims.
/// </summary>
internal static class PciCatalog
{
    public const ushort IntelVendor = 0x8086;
    public const ushort NvidiaVendor = 0x10de;
    public const ushort AmdVendor = 0x1002;
    /// <summary>AMD's CPU-side functions (the CCP crypto coprocessor); 0x1002 is its graphics vendor id.</summary>
    public const ushort AmdCpuVendor = 0x1022;
    public const ushort XilinxVendor = 0x10ee;

    // PCI base class + subclass (the top 16 bits of the 24-bit class code).
    private const int VgaController = 0x0300;
    private const int ThreeDController = 0x0302;
    private const int NetworkEncryption = 0x1000;
    private const int OtherEncryption = 0x1080;
    private const int CoProcessor = 0x0b40;
    private const int ProcessingAccelerator = 0x1200;

    // QAT gen1/gen2 (DH895xCC, C62x, C3xxx): symmetric crypto and deflate. CRC32C is not listed:
    // the hardware computes CRC32/Adler-32 as part of deflate, not a standalone Castagnoli CRC.
    private static readonly IReadOnlyList<string> QatGen2Functions =
    [
        AccelerationFunctions.Aes256Gcm,
        AccelerationFunctions.Sha256,
        AccelerationFunctions.HmacSha256,
        AccelerationFunctions.Deflate,
    ];

    // QAT gen4 (4xxx, 401xx, 402xx, 420xx) adds ChaCha20-Poly1305.
    private static readonly IReadOnlyList<string> QatGen4Functions =
    [
        AccelerationFunctions.Aes256Gcm,
        AccelerationFunctions.ChaCha20Poly1305,
        AccelerationFunctions.Sha256,
        AccelerationFunctions.HmacSha256,
        AccelerationFunctions.Deflate,
    ];

    // AMD CCP v5 (drivers/crypto/ccp, DPDK's crypto_ccp): AES-GCM, SHA-2 and HMAC.
    private static readonly IReadOnlyList<string> CcpFunctions =
    [
        AccelerationFunctions.Aes256Gcm,
        AccelerationFunctions.Sha256,
        AccelerationFunctions.HmacSha256,
    ];

    /// <summary>DPDK's QAT PMD: its symmetric crypto and compression devices (drivers/common/qat).</summary>
    public const string QatPmd = "crypto_qat, compress_qat";

    public const string CcpPmd = "crypto_ccp";

    // The CCP ids DPDK's crypto_ccp probes (drivers/crypto/ccp/rte_ccp_pmd.c); queue pairs: its hardware queues.
    private static readonly Dictionary<ushort, PciKind> AmdCpuById = new()
    {
        [0x1456] = new(HostDeviceTypes.CryptoCoprocessor, "ccp", "CCP v5a", CcpFunctions, 5, IsQat: false, CcpPmd),
        [0x1468] = new(HostDeviceTypes.CryptoCoprocessor, "ccp", "CCP v5b", CcpFunctions, 5, IsQat: false, CcpPmd),
        [0x15df] = new(HostDeviceTypes.CryptoCoprocessor, "ccp", "CCP v5 (Raven)", CcpFunctions, 5, IsQat: false, CcpPmd),
    };

    // Queue pairs are the ring banks the kernel driver gives a function (ADF_*_ETR_MAX_BANKS, or the
    // banks per VF): a frontend would own one bank per queue pair.
    private static readonly Dictionary<ushort, PciKind> IntelById = new()
    {
        [0x0435] = Qat("QAT DH895xCC PF", QatGen2Functions, 32),
        [0x0443] = Qat("QAT DH895xCC VF", QatGen2Functions, 1),
        [0x37c8] = Qat("QAT C62x PF", QatGen2Functions, 16),
        [0x37c9] = Qat("QAT C62x VF", QatGen2Functions, 1),
        [0x19e2] = Qat("QAT C3xxx PF", QatGen2Functions, 16),
        [0x19e3] = Qat("QAT C3xxx VF", QatGen2Functions, 1),
        [0x4940] = Qat("QAT 4xxx PF", QatGen4Functions, 64),
        [0x4941] = Qat("QAT 4xxx VF", QatGen4Functions, 4),
        [0x4942] = Qat("QAT 401xx PF", QatGen4Functions, 64),
        [0x4943] = Qat("QAT 401xx VF", QatGen4Functions, 4),
        [0x4944] = Qat("QAT 402xx PF", QatGen4Functions, 64),
        [0x4945] = Qat("QAT 402xx VF", QatGen4Functions, 4),
        [0x4946] = Qat("QAT 420xx PF", QatGen4Functions, 64),
        [0x4947] = Qat("QAT 420xx VF", QatGen4Functions, 4),
        [0x09c4] = Fpga("PAC Arria 10 GX PF"),
        [0x09c5] = Fpga("PAC Arria 10 GX VF"),
        [0x0b2b] = Fpga("PAC D5005 PF"),
        [0x0b2c] = Fpga("PAC D5005 VF"),
        [0x0b30] = Fpga("PAC N3000 PF"),
        [0xbcbd] = Fpga("integrated FPGA 5.x PF"),
        [0xbcbf] = Fpga("integrated FPGA 5.x VF"),
        [0xbcc0] = Fpga("integrated FPGA 6.x PF"),
        [0xbcc1] = Fpga("integrated FPGA 6.x VF"),
    };

    /// <summary>The name of a vendor whose devices hio recognizes; null for any other.</summary>
    public static string? VendorName(ushort vendor) => vendor switch
    {
        IntelVendor => "Intel",
        NvidiaVendor => "NVIDIA",
        AmdVendor => "AMD",
        XilinxVendor => "Xilinx",
        AmdCpuVendor => "AMD",
        _ => null,
    };

    /// <summary>
    /// What the function is, or null when it is no accelerator hio knows.
    /// <paramref name="pciClass"/> is the 24-bit class code, null when unreadable: then only the id
    /// rules can match.
    /// </summary>
    public static PciKind? Recognize(ushort vendor, ushort device, int? pciClass)
    {
        if (vendor == IntelVendor && IntelById.TryGetValue(device, out var known))
        {
            return known;
        }
        if (vendor == AmdCpuVendor && AmdCpuById.TryGetValue(device, out var ccp))
        {
            return ccp;
        }
        if (pciClass is not { } code)
        {
            return null;
        }
        var classAndSubclass = code >> 8;
        return classAndSubclass switch
        {
            VgaController or ThreeDController when vendor is NvidiaVendor or AmdVendor or IntelVendor =>
                new PciKind(HostDeviceTypes.Gpu, "gpu", null, [], 0, IsQat: false),
            ProcessingAccelerator when vendor == XilinxVendor => Fpga(null),
            ProcessingAccelerator =>
                new PciKind(HostDeviceTypes.ProcessingAccelerator, "accel", null, [], 0, IsQat: false),
            CoProcessor or NetworkEncryption or OtherEncryption =>
                new PciKind(HostDeviceTypes.CryptoCoprocessor, "crypto", null, [], 0, IsQat: false),
            _ => null,
        };
    }

    private static PciKind Qat(string model, IReadOnlyList<string> functions, int ringBanks) =>
        new(HostDeviceTypes.IntelQat, "qat", model, functions, ringBanks, IsQat: true, QatPmd);

    private static PciKind Fpga(string? model) =>
        new(HostDeviceTypes.Fpga, "fpga", model, [], 0, IsQat: false);
}
