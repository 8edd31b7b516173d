using Akka.Configuration;

namespace Fabric.Node.Compute;

/// <summary>The compute role's settings, from <c>fabric.node</c> in hocon/node.conf.</summary>
public sealed record ComputeSettings(
    int Workers,
    IReadOnlyList<int>? Cores,
    int SoftwareQueuePairs,
    bool FaultInjectionDevice,
    int FaultInjectionQueuePairs,
    string SysfsRoot,
    TimeSpan RestartMinBackoff,
    TimeSpan RestartMaxBackoff,
    int RestartBudget,
    TimeSpan RestartWindow,
    TimeSpan ProbeInterval,
    TimeSpan ProbeTimeout,
    TimeSpan RegisterRetry,
    TimeSpan DrainTimeout,
    TimeSpan DrainGrace,
    TimeSpan AskTimeout,
    bool ChannelPathMode = false,
    string? ChannelRoot = null,
    bool PciPassthrough = true,
    int DeflateSliceBytes = Fabric.Dataplane.Drivers.DeflateDriver.DefaultSliceBytes)
{
    public static ComputeSettings From(Config config)
    {
        var node = config.GetConfig("fabric.node") ?? Config.Empty;
        var cores = node.HasPath("ac.cores") ? node.GetIntList("ac.cores") : [];
        return new ComputeSettings(
            Workers: Math.Max(1, node.GetInt("ac.workers", 1)),
            Cores: cores.Count == 0 ? null : cores.ToArray(),
            SoftwareQueuePairs: node.GetInt("software-queue-pairs", 16),
            FaultInjectionDevice: node.GetBoolean("fault-injection-device", false),
            FaultInjectionQueuePairs: node.GetInt("fault-injection-queue-pairs", 32),
            SysfsRoot: node.GetString("sysfs-root", "/sys"),
            RestartMinBackoff: node.GetTimeSpan("supervision.restart-min-backoff", TimeSpan.FromMilliseconds(1)),
            RestartMaxBackoff: node.GetTimeSpan("supervision.restart-max-backoff", TimeSpan.FromSeconds(1)),
            RestartBudget: node.GetInt("supervision.restart-budget", 3),
            RestartWindow: node.GetTimeSpan("supervision.restart-window", TimeSpan.FromSeconds(30)),
            ProbeInterval: node.GetTimeSpan("supervision.probe-interval", TimeSpan.FromSeconds(1)),
            ProbeTimeout: node.GetTimeSpan("supervision.probe-timeout", TimeSpan.FromSeconds(2)),
            RegisterRetry: node.GetTimeSpan("register-retry", TimeSpan.FromSeconds(2)),
            DrainTimeout: node.GetTimeSpan("drain-timeout", TimeSpan.FromSeconds(2)),
            DrainGrace: node.GetTimeSpan("drain-grace", TimeSpan.FromSeconds(3)),
            AskTimeout: node.GetTimeSpan("ask-timeout", TimeSpan.FromSeconds(10)),
            ChannelPathMode: ChannelMode(node.GetString("channels.mode", "sealed")),
            ChannelRoot: node.GetString("channels.directory", "") is { Length: > 0 } root ? root : null,
            PciPassthrough: node.GetBoolean("pci-passthrough", true),
            DeflateSliceBytes: SliceBytes(node.GetString("ac.deflate-slice-bytes", "")));
    }

    /// <summary>fabric.node.ac.deflate-slice-bytes: refused at start with the range and the default when it cannot be a slice.</summary>
    private static int SliceBytes(string value)
    {
        if (value.Trim().Length == 0)
        {
            return Fabric.Dataplane.Drivers.DeflateDriver.DefaultSliceBytes;
        }

        var problem = int.TryParse(value.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var bytes)
            ? Fabric.Dataplane.Drivers.DeflateDriver.SliceBytesProblem(bytes)
            : $"'{value}' is not a whole number of bytes: {Fabric.Dataplane.Drivers.DeflateDriver.SliceBytesRule}";
        return problem is null ? bytes : throw new ArgumentException($"fabric.node.ac.deflate-slice-bytes: {problem}");
    }

    private static bool ChannelMode(string mode) => mode.Trim().ToLowerInvariant() switch
    {
        "sealed" => false,
        "path" => true,
        _ => throw new ArgumentException($"fabric.node.channels.mode = '{mode}' is not one of 'sealed' (the default: guests get a sealed memfd over a socket) or 'path' (debugging only: a channel file the guest could truncate)"),
    };
}
