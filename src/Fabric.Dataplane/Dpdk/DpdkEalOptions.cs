namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// How the node starts DPDK's Environment Abstraction Layer, once per process. The defaults suit a host without
/// hugepages or devices bound to vfio-pci: anonymous memory (--no-huge), no PCI scan, software PMDs as vdevs.
/// </summary>
public sealed record DpdkEalOptions
{
    /// <summary>EAL's -l: the lcores. The AC's threads are .NET threads, not lcores; EAL needs only its main lcore.</summary>
    public string Lcores { get; init; } = "0";

    /// <summary>--no-huge: anonymous memory instead of hugepages (then --in-memory is refused by EAL; see FilePrefix).</summary>
    public bool NoHuge { get; init; } = true;

    /// <summary>-m: megabytes of memory EAL reserves (required with --no-huge; 0 leaves EAL's default).</summary>
    public int MemoryMb { get; init; } = 256;

    /// <summary>
    /// --file-prefix: keeps this process's EAL runtime files apart from any other DPDK process's. With
    /// <see cref="SharedConfig"/> false EAL writes none, but the prefix still names its memory.
    /// </summary>
    public string FilePrefix { get; init; } = "fabric-" + Environment.ProcessId;

    /// <summary>False adds --no-shconf: no multi-process config files (nothing to clean up after a crash).</summary>
    public bool SharedConfig { get; init; }

    /// <summary>--vdev arguments, e.g. crypto_openssl0, crypto_aesni_gcm0.</summary>
    public IReadOnlyList<string> Vdevs { get; init; } = [];

    /// <summary>PCI devices EAL may probe (-a); empty means --no-pci, so EAL never touches the host's devices.</summary>
    public IReadOnlyList<string> AllowPci { get; init; } = [];

    /// <summary>--log-level; EAL logs to stderr.</summary>
    public string LogLevel { get; init; } = "error";

    /// <summary>Anything else, appended as given.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>The EAL argv, program name first.</summary>
    public IReadOnlyList<string> ToArguments()
    {
        var args = new List<string> { "fabric", "-l", Lcores, "--file-prefix", FilePrefix, "--log-level", LogLevel, "--no-telemetry" };
        if (NoHuge)
        {
            args.Add("--no-huge");
        }
        if (MemoryMb > 0)
        {
            args.Add("-m");
            args.Add(MemoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (!SharedConfig)
        {
            args.Add("--no-shconf");
        }
        if (AllowPci.Count == 0)
        {
            args.Add("--no-pci");
        }
        foreach (var pci in AllowPci)
        {
            args.Add("-a");
            args.Add(pci);
        }
        foreach (var vdev in Vdevs)
        {
            args.Add("--vdev");
            args.Add(vdev);
        }
        args.AddRange(ExtraArguments);
        return args;
    }
}
