using System.Globalization;

namespace Fabric.Messages.Attachments;

/// <summary>
/// Fabric's own keys of a device profile group that make a <see cref="ServiceLevel"/> (docs/service-levels.md): the same
/// in every client (<c>fabric-vim profile create --group</c>, fabric-api's profile groups) and checked again by the
/// control plane (<see cref="Problem"/>), which trusts no client.
/// </summary>
public static class ServiceLevelKeys
{
    public const string Prefix = "fabric:";
    public const string Weight = "fabric:weight";
    public const string CommittedOps = "fabric:committed_ops";
    public const string PeakOps = "fabric:peak_ops";
    public const string CommittedBytes = "fabric:committed_bytes";
    public const string PeakBytes = "fabric:peak_bytes";
    public const string Class = "fabric:class";

    public const int MaxWeight = 1000;

    /// <summary>A rate above this is a typo, not a device (a trillion ops or bytes a second).</summary>
    public const long MaxRate = 1_000_000_000_000;

    public static IReadOnlyList<string> All { get; } = [Weight, CommittedOps, PeakOps, CommittedBytes, PeakBytes, Class];

    public static bool IsKey(string key) => key.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// The level the keys make, starting from <paramref name="from"/> (best effort when null) and changing what they name;
    /// null and no problem when they name none. A problem is one line for people: the key, the value, what it must be.
    /// </summary>
    public static (ServiceLevel? Level, string? Problem) Parse(IEnumerable<KeyValuePair<string, string>> keys, ServiceLevel? from = null)
    {
        var level = from ?? ServiceLevel.BestEffort;
        var named = false;
        foreach (var (rawKey, rawValue) in keys)
        {
            var key = rawKey.Trim();
            if (!IsKey(key))
            {
                continue;
            }

            named = true;
            var value = (rawValue ?? "").Trim();
            switch (key)
            {
                case Weight:
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var weight) || weight is < 1 or > MaxWeight)
                    {
                        return (null, $"{Weight} '{value}' is not a whole number from 1 to {MaxWeight}");
                    }

                    level = level with { Weight = weight };
                    break;
                case CommittedOps or PeakOps or CommittedBytes or PeakBytes:
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var rate) || rate > MaxRate)
                    {
                        return (null, $"{key} '{value}' is not a whole number from 0 to {MaxRate} (0: {(key.Contains("committed") ? "none committed" : "no cap")})");
                    }

                    level = key switch
                    {
                        CommittedOps => level with { CommittedOpsPerSecond = rate },
                        PeakOps => level with { PeakOpsPerSecond = rate },
                        CommittedBytes => level with { CommittedBytesPerSecond = rate },
                        _ => level with { PeakBytesPerSecond = rate },
                    };
                    break;
                case Class:
                    if (ClassOf(value) is not { } serviceClass)
                    {
                        return (null, $"{Class} '{value}' is not latency or bulk");
                    }

                    level = level with { Class = serviceClass };
                    break;
                default:
                    return (null, $"'{key}' is not a Fabric key; Fabric's keys are {string.Join(", ", All)}");
            }
        }

        return !named ? (null, null) : Problem(level) is { } problem ? (null, problem) : (level, null);
    }

    /// <summary>What is wrong with a level, or null: weight in range, rates not negative nor absurd, a peak not under its committed rate.</summary>
    public static string? Problem(ServiceLevel? level)
    {
        if (level is null)
        {
            return "a service level is required";
        }

        if (level.Weight is < 1 or > MaxWeight)
        {
            return $"weight {level.Weight} is not from 1 to {MaxWeight}";
        }

        if (new[] { level.CommittedOpsPerSecond, level.PeakOpsPerSecond, level.CommittedBytesPerSecond, level.PeakBytesPerSecond }.Any(r => r is < 0 or > MaxRate))
        {
            return $"rates must be from 0 to {MaxRate} a second";
        }

        if (level.PeakOpsPerSecond > 0 && level.PeakOpsPerSecond < level.CommittedOpsPerSecond)
        {
            return $"peak {level.PeakOpsPerSecond} ops/s is below the committed {level.CommittedOpsPerSecond} ops/s (0: no cap)";
        }

        if (level.PeakBytesPerSecond > 0 && level.PeakBytesPerSecond < level.CommittedBytesPerSecond)
        {
            return $"peak {level.PeakBytesPerSecond} bytes/s is below the committed {level.CommittedBytesPerSecond} bytes/s (0: no cap)";
        }

        return Enum.IsDefined(level.Class) ? null : $"class {(int)level.Class} is not latency or bulk";
    }

    public static ServiceClass? ClassOf(string text) => text.ToLowerInvariant() switch
    {
        "latency" => ServiceClass.Latency,
        "bulk" => ServiceClass.Bulk,
        _ => null,
    };

    public static string NameOf(ServiceClass serviceClass) => serviceClass == ServiceClass.Latency ? "latency" : "bulk";

    /// <summary>The keys that make <paramref name="level"/>, every one of them (fabric-api shows them in a group).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ToKeys(ServiceLevel level) =>
    [
        new(Weight, level.Weight.ToString(CultureInfo.InvariantCulture)),
        new(CommittedOps, level.CommittedOpsPerSecond.ToString(CultureInfo.InvariantCulture)),
        new(PeakOps, level.PeakOpsPerSecond.ToString(CultureInfo.InvariantCulture)),
        new(CommittedBytes, level.CommittedBytesPerSecond.ToString(CultureInfo.InvariantCulture)),
        new(PeakBytes, level.PeakBytesPerSecond.ToString(CultureInfo.InvariantCulture)),
        new(Class, NameOf(level.Class)),
    ];

    /// <summary>One short line for tables: <c>latency w4 c1000/p2000 ops/s c0/p0 B/s</c>.</summary>
    public static string Describe(ServiceLevel? level)
    {
        var l = level ?? ServiceLevel.BestEffort;
        return $"{NameOf(l.Class)} w{l.Weight} ops/s {l.CommittedOpsPerSecond}/{Cap(l.PeakOpsPerSecond)} B/s {l.CommittedBytesPerSecond}/{Cap(l.PeakBytesPerSecond)}";
    }

    private static string Cap(long peak) => peak == 0 ? "-" : peak.ToString(CultureInfo.InvariantCulture);
}
