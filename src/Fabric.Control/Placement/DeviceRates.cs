using System.Collections.Immutable;
using Akka.Configuration;

namespace Fabric.Control.Placement;

/// <summary>What one device can commit to its attachments: ops/s and payload bytes/s (issue 19).</summary>
public sealed record RateCapacity(long Ops, long Bytes);

/// <summary>
/// The rates devices can commit, from <c>fabric.service-levels.device-rates</c> (hocon/fabric.conf): by device type first,
/// else by function (a device that runs several takes the smallest of theirs: its functions share its workers), else the
/// default. Every control node reads the same file, so the device entity and placement agree.
/// </summary>
public sealed record DeviceRates(RateCapacity Default, ImmutableDictionary<string, RateCapacity> ByType, ImmutableDictionary<string, RateCapacity> ByFunction)
{
    public const string Path = "fabric.service-levels.device-rates";

    /// <summary>Used where the configuration has no such section (tests' own configurations); the same as hocon/fabric.conf.</summary>
    public static DeviceRates Defaults { get; } = new(
        new RateCapacity(1_000_000, 2_000_000_000),
        ImmutableDictionary<string, RateCapacity>.Empty
            .Add("sw-crypto", new RateCapacity(1_000_000, 2_000_000_000))
            .Add("sw-compression", new RateCapacity(100_000, 300_000_000)),
        ImmutableDictionary<string, RateCapacity>.Empty);

    public RateCapacity For(string type, IEnumerable<string> functions)
    {
        if (ByType.TryGetValue(type, out var byType))
        {
            return byType;
        }

        var byFunction = functions.Select(f => ByFunction.GetValueOrDefault(f)).OfType<RateCapacity>().ToArray();
        return byFunction.Length == 0
            ? Default
            : new RateCapacity(byFunction.Min(r => r.Ops), byFunction.Min(r => r.Bytes));
    }

    /// <summary>The section at <see cref="Path"/>, or <see cref="Defaults"/> without one; a bad figure stops the node at start.</summary>
    public static DeviceRates From(Config config)
    {
        if (!config.HasPath(Path))
        {
            return Defaults;
        }

        var section = config.GetConfig(Path);
        return new DeviceRates(
            section.HasPath("default") ? Rate(section.GetConfig("default"), "default") : Defaults.Default,
            Table(section, "by-type"),
            Table(section, "by-function"));
    }

    private static ImmutableDictionary<string, RateCapacity> Table(Config section, string name)
    {
        if (!section.HasPath(name))
        {
            return ImmutableDictionary<string, RateCapacity>.Empty;
        }

        var table = section.GetConfig(name);
        return table.Root.GetObject().Items.Keys
            .ToImmutableDictionary(k => k, k => Rate(table.GetConfig(k), $"{name}.{k}"), StringComparer.Ordinal);
    }

    private static RateCapacity Rate(Config entry, string where)
    {
        var ops = entry.GetLong("ops-per-second", 0);
        var bytes = entry.GetLong("bytes-per-second", 0);
        if (ops < 1 || bytes < 1)
        {
            throw new Configuration.FabricConfigurationException(
                $"{Path}.{where}: ops-per-second and bytes-per-second must be positive numbers, were {ops} and {bytes}");
        }

        return new RateCapacity(ops, bytes);
    }
}
