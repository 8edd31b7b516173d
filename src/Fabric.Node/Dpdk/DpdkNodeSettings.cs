using System.Text.RegularExpressions;
using Akka.Configuration;
using Fabric.Dataplane.Dpdk;

namespace Fabric.Node.Dpdk;

/// <summary>
/// <c>fabric.node.dpdk</c> in hocon/node.conf: whether the node starts DPDK's EAL, with which arguments, and how it
/// opens the devices EAL finds. Invalid values are refused at start with the setting's name and what it accepts.
/// </summary>
/// <param name="Enabled">Off: no EAL, the software drivers only.</param>
/// <param name="Eal">EAL's arguments (lcores, memory, vdevs, allowed PCI functions).</param>
/// <param name="QueuePairs">Queue pairs opened on each device (capped by the PMD's limit): one per guest queue.</param>
/// <param name="QueueDepth">Descriptors per queue pair: the most ops one queue keeps in flight on the device.</param>
/// <param name="DeflateLevel">deflate's level on compressdevs (1 fastest .. 9 smallest), as the .NET driver's.</param>
public sealed partial record DpdkNodeSettings(bool Enabled, DpdkEalOptions Eal, int QueuePairs, int QueueDepth, int DeflateLevel)
{
    public static DpdkNodeSettings Disabled { get; } = new(false, new DpdkEalOptions(), 4, 32, 6);

    /// <summary><c>schedulers</c>: crypto_scheduler devices over several cryptodevs; their vdevs follow <see cref="DpdkEalOptions.Vdevs"/>.</summary>
    public IReadOnlyList<DpdkScheduler> Schedulers { get; init; } = [];

    /// <summary>EAL names of the cryptodevs that serve a scheduler: not Fabric devices of their own.</summary>
    public IReadOnlySet<string> SchedulerWorkers => Schedulers.SelectMany(s => s.Workers).ToHashSet(StringComparer.Ordinal);

    public static DpdkNodeSettings From(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var dpdk = config.GetConfig("fabric.node.dpdk") ?? Config.Empty;
        var vdevs = dpdk.HasPath("vdevs") ? dpdk.GetStringList("vdevs") : [];
        var allowPci = dpdk.HasPath("allow-pci") ? dpdk.GetStringList("allow-pci") : [];
        var lcores = dpdk.GetString("lcores", "0").Trim();
        var noHuge = dpdk.GetBoolean("no-huge", true);
        var memory = dpdk.GetInt("memory-mb", 256);
        var prefix = dpdk.GetString("file-prefix", "");
        var schedulers = ParseSchedulers(dpdk);
        var settings = new DpdkNodeSettings(
            Enabled: dpdk.GetBoolean("enabled", false),
            Eal: new DpdkEalOptions
            {
                Lcores = lcores,
                NoHuge = noHuge,
                MemoryMb = memory,
                Vdevs = [.. vdevs.Select(v => v.Trim()), .. schedulers.Select(s => s.Vdev)],
                AllowPci = [.. allowPci.Select(a => a.Trim().ToLowerInvariant())],
                LogLevel = dpdk.GetString("log-level", "error").Trim(),
                FilePrefix = prefix.Length > 0 ? prefix : new DpdkEalOptions().FilePrefix,
            },
            QueuePairs: dpdk.GetInt("queue-pairs", 4),
            QueueDepth: dpdk.GetInt("queue-depth", 32),
            DeflateLevel: dpdk.GetInt("deflate-level", 6))
        {
            Schedulers = schedulers,
        };
        settings.Validate();
        return settings;
    }

    /// <summary><c>schedulers { crypto_scheduler0 { mode = round-robin, workers = [...] } }</c>, in name order.</summary>
    private static IReadOnlyList<DpdkScheduler> ParseSchedulers(Config dpdk)
    {
        if (!dpdk.HasPath("schedulers"))
        {
            return [];
        }
        var table = dpdk.GetConfig("schedulers");
        return [.. table.Root.GetObject().Items.Keys.Order(StringComparer.Ordinal).Select(name =>
        {
            var entry = table.GetConfig(name);
            return new DpdkScheduler(name, entry.GetString("mode", "round-robin").Trim(),
                entry.HasPath("workers") ? [.. entry.GetStringList("workers").Select(w => w.Trim())] : []);
        })];
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in Schedulers)
        {
            if (!SchedulerNamePattern().IsMatch(s.Name))
            {
                Fail("schedulers", $"'{s.Name}' is not a scheduler name such as crypto_scheduler0 (lower-case letters, digits, _)");
            }
            if (!DpdkScheduler.Modes.Contains(s.Mode))
            {
                Fail($"schedulers.{s.Name}.mode", $"'{s.Mode}' is not one of {string.Join(", ", DpdkScheduler.Modes)}");
            }
            if (s.Workers.Count == 0 || (s.Mode == "fail-over" && s.Workers.Count != 2))
            {
                Fail($"schedulers.{s.Name}.workers", $"{s.Workers.Count} worker(s): give {(s.Mode == "fail-over" ? "two (primary, secondary)" : "one or more")} cryptodevs of vdevs");
            }
            foreach (var w in s.Workers)
            {
                if (!Eal.Vdevs.Contains(w) || w == s.Name)
                {
                    Fail($"schedulers.{s.Name}.workers", $"'{w}' is not one of the vdevs ({string.Join(", ", Eal.Vdevs.Where(v => !v.StartsWith("crypto_scheduler,", StringComparison.Ordinal)))}): a worker is a cryptodev EAL creates first");
                }
                if (!taken.Add(w))
                {
                    Fail($"schedulers.{s.Name}.workers", $"'{w}' serves another scheduler already: a cryptodev serves one");
                }
            }
        }
        if (!LcoresPattern().IsMatch(Eal.Lcores))
        {
            Fail("lcores", $"'{Eal.Lcores}' is not an EAL core list such as \"0\", \"0-1\" or \"2,4\"");
        }
        if (Eal.MemoryMb < 0 || (Eal.NoHuge && Eal.MemoryMb == 0))
        {
            Fail("memory-mb", $"{Eal.MemoryMb} must be > 0 with no-huge = on (EAL needs -m without hugepages), or >= 0 with hugepages");
        }
        foreach (var vdev in Eal.Vdevs)
        {
            if (!VdevPattern().IsMatch(vdev))
            {
                Fail("vdevs", $"'{vdev}' is not a vdev such as crypto_aesni_gcm0 or compress_isal0,socket_id=0 (letters, digits, _ , = . and no spaces)");
            }
        }
        foreach (var pci in Eal.AllowPci)
        {
            if (!PciPattern().IsMatch(pci))
            {
                Fail("allow-pci", $"'{pci}' is not a PCI address such as 0000:3d:01.0");
            }
        }
        if (!LogLevelPattern().IsMatch(Eal.LogLevel))
        {
            Fail("log-level", $"'{Eal.LogLevel}' is not an EAL log level (emergency .. debug, or 1..8)");
        }
        if (QueuePairs is < 1 or > 1024)
        {
            Fail("queue-pairs", $"{QueuePairs} is not in [1, 1024]");
        }
        if (QueueDepth is < 1 or > 4096)
        {
            Fail("queue-depth", $"{QueueDepth} is not in [1, 4096]");
        }
        if (DeflateLevel is < 1 or > 9)
        {
            Fail("deflate-level", $"{DeflateLevel} is not in [1, 9]");
        }
    }

    private static void Fail(string setting, string why) => throw new ArgumentException($"fabric.node.dpdk.{setting}: {why}");

    [GeneratedRegex(@"^\d+([-@]\d+)?(,\d+([-@]\d+)?)*$")]
    private static partial Regex LcoresPattern();

    [GeneratedRegex(@"^[a-z][a-z0-9_]*(,[a-z_]+=[A-Za-z0-9_.:/-]+)*$")]
    private static partial Regex VdevPattern();

    [GeneratedRegex(@"^[a-z][a-z0-9_]*$")]
    private static partial Regex SchedulerNamePattern();

    [GeneratedRegex(@"^([0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")]
    private static partial Regex PciPattern();

    [GeneratedRegex(@"^([a-z]+|[1-8])$")]
    private static partial Regex LogLevelPattern();
}
