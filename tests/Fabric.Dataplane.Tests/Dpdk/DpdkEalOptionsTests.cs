using Fabric.Dataplane.Dpdk;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>The EAL argv the options produce (pure: no EAL is started here).</summary>
public class DpdkEalOptionsTests
{
    [Fact]
    public void Defaults_keep_EAL_off_hugepages_PCI_and_shared_files()
    {
        var args = new DpdkEalOptions { FilePrefix = "p", Vdevs = ["crypto_openssl0"] }.ToArguments();
        Assert.Equal(
            ["fabric", "-l", "0", "--file-prefix", "p", "--log-level", "error", "--no-telemetry", "--no-huge", "-m", "256", "--no-shconf", "--no-pci", "--vdev", "crypto_openssl0"],
            args);
        // EAL refuses --in-memory with --no-huge; the defaults must never combine them.
        Assert.DoesNotContain("--in-memory", args);
    }

    [Fact]
    public void Allowed_PCI_devices_replace_no_pci_and_hugepages_drop_no_huge()
    {
        var args = new DpdkEalOptions { NoHuge = false, MemoryMb = 0, SharedConfig = true, AllowPci = ["0000:3d:00.0", "0000:3f:00.0"], Lcores = "2" }.ToArguments();
        Assert.DoesNotContain("--no-pci", args);
        Assert.DoesNotContain("--no-huge", args);
        Assert.DoesNotContain("--no-shconf", args);
        Assert.DoesNotContain("-m", args);
        Assert.Equal(["-a", "0000:3d:00.0", "-a", "0000:3f:00.0"], args.SkipWhile(a => a != "-a").ToArray());
        Assert.Equal("2", args[args.ToList().IndexOf("-l") + 1]);
    }
}
