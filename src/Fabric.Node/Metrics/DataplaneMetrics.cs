using System.Diagnostics.Metrics;
using Akka.Actor;
using Fabric.Control.Metrics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Engine;

namespace Fabric.Node.Metrics;

/// <summary>
/// The Acceleration Core's numbers per device queue pair, read from the engine's own live counters when a reading
/// is taken (observable instruments): nothing is added to the dataplane's hot path. The <c>queue</c> tag is the queue
/// pair's slot on its device (0, 1, ...), not the attachment, so the number of series is bounded by the devices'
/// queue pairs. A slot's counters are the sum of every queue that used it: when a queue leaves (its VM stops) or
/// moves to another device (failover), what it did so far stays with the slot it leaves, and the counters of a
/// slot never go back.
/// </summary>
public sealed class DataplaneMetrics : IExtension
{
    private static readonly OpStatus[] ErrorStatuses = Enum.GetValues<OpStatus>().Where(s => s != OpStatus.Ok).ToArray();
    private static readonly (string Name, double Percentile)[] Quantiles = [("0.5", 50), ("0.99", 99), ("1", 100)];

    private readonly object _gate = new();
    private readonly KeyValuePair<string, object?> _node;
    private readonly Dictionary<string, List<Slot>> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Slot> _queues = new(StringComparer.Ordinal);

    public DataplaneMetrics(ExtendedActorSystem system)
    {
        var metrics = FabricMetrics.Get(system);
        _node = new("node", metrics.NodeName);
        var meter = metrics.CreateMeter(FabricMeters.Dataplane);
        meter.CreateObservableCounter(FabricMeters.DataplaneOps, () => Observe(t => t.Ops), "{op}", "operations completed, with any status");
        meter.CreateObservableCounter(FabricMeters.DataplaneIo, ObserveIo, "By", "bytes of the operations that succeeded: in from the guest, out to it");
        meter.CreateObservableCounter(FabricMeters.DataplaneErrors, ObserveErrors, "{op}", "operations completed with an error, by status");
        meter.CreateObservableGauge(FabricMeters.DataplaneLatency, ObserveLatency, "ms",
            "latency of the queue now on the slot, since it was added: quantile 0.5, 0.99 and 1 (max)");
        meter.CreateObservableGauge(FabricMeters.DataplaneQueues, ObserveQueues, "{queue}", "queues the AC serves on each device");
        meter.CreateObservableGauge(FabricMeters.DataplaneQueuesFaulted, ObserveFaulted, "{queue}",
            "queues on each device whose channel faulted (the guest corrupted an index): no longer served until removed");
        meter.CreateObservableGauge(FabricMeters.DataplaneThrottled, ObserveThrottled, "s",
            "time the queue now on the slot had work but waited for its peak tokens, since it was added");
        meter.CreateObservableGauge(FabricMeters.DataplaneTokens, ObserveTokens, "{token}",
            "peak tokens left of the queue now on the slot, by kind (ops, bytes); only for a queue with that cap");
        meter.CreateObservableGauge(FabricMeters.DataplaneRate, ObserveRate, "1/s",
            "ops and input bytes a second the AC scheduler served the queue now on the slot over its last window; only while it schedules by service level");
        meter.CreateObservableGauge(FabricMeters.DataplaneShare, ObserveShare, "1",
            "fraction of its worker's service time the queue now on the slot took over the scheduler's last window; only while it schedules by service level");
    }

    public static DataplaneMetrics Get(ActorSystem system) => system.WithExtension<DataplaneMetrics, DataplaneMetricsProvider>();

    /// <summary>A queue now runs on <paramref name="deviceId"/>: it takes the device's lowest free slot.</summary>
    public void Track(string queueId, string deviceId, QueueCounters counters)
    {
        lock (_gate)
        {
            Leave(queueId);
            Take(queueId, deviceId, new Live(counters, Totals.Zero));
        }
    }

    /// <summary>The queue's driver is now one of <paramref name="deviceId"/> (a failover): its work from now on counts there.</summary>
    public void Move(string queueId, string deviceId)
    {
        lock (_gate)
        {
            if (_queues.TryGetValue(queueId, out var slot) && slot.Device != deviceId && slot.Current is { } live)
            {
                Leave(queueId);
                Take(queueId, deviceId, live with { Baseline = Totals.Of(live.Counters) });
            }
        }
    }

    /// <summary>The queue was removed from the AC (its counters are final): its slot keeps what it did and is free again.</summary>
    public void Retire(string queueId)
    {
        lock (_gate)
        {
            Leave(queueId);
        }
    }

    private void Take(string queueId, string deviceId, Live live)
    {
        if (!_devices.TryGetValue(deviceId, out var slots))
        {
            _devices[deviceId] = slots = [];
        }

        var slot = slots.FirstOrDefault(s => s.Current is null);
        if (slot is null)
        {
            slot = new Slot(deviceId, slots.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            slots.Add(slot);
        }

        slot.Current = live;
        _queues[queueId] = slot;
    }

    private void Leave(string queueId)
    {
        if (_queues.Remove(queueId, out var slot) && slot.Current is { } live)
        {
            slot.Retired = slot.Retired.Plus(Totals.Of(live.Counters).Minus(live.Baseline));
            slot.Current = null;
        }
    }

    /// <summary>Every slot's totals: what left it plus what the queue on it did since it came.</summary>
    private List<(Slot Slot, Totals Totals)> Read()
    {
        lock (_gate)
        {
            return _devices.Values.SelectMany(s => s)
                .Select(s => (s, s.Current is { } live ? s.Retired.Plus(Totals.Of(live.Counters).Minus(live.Baseline)) : s.Retired))
                .ToList();
        }
    }

    private IEnumerable<Measurement<long>> Observe(Func<Totals, long> value) =>
        Read().Select(r => new Measurement<long>(value(r.Totals), _node, new("device", r.Slot.Device), new("queue", r.Slot.Index)));

    private IEnumerable<Measurement<long>> ObserveIo() =>
        Read().SelectMany(r => new[]
        {
            new Measurement<long>(r.Totals.BytesIn, _node, new("device", r.Slot.Device), new("queue", r.Slot.Index), new("direction", "in")),
            new Measurement<long>(r.Totals.BytesOut, _node, new("device", r.Slot.Device), new("queue", r.Slot.Index), new("direction", "out")),
        });

    private IEnumerable<Measurement<long>> ObserveErrors() =>
        Read().SelectMany(r => ErrorStatuses.Select((status, i) => new Measurement<long>(r.Totals.ByStatus[i], _node,
            new("device", r.Slot.Device), new("queue", r.Slot.Index), new("status", status.ToString()))));

    private IEnumerable<Measurement<double>> ObserveLatency()
    {
        List<(Slot Slot, LatencyHistogram Latency)> live;
        lock (_gate)
        {
            live = _devices.Values.SelectMany(s => s).Where(s => s.Current is not null).Select(s => (s, s.Current!.Counters.Latency)).ToList();
        }

        foreach (var (slot, latency) in live)
        {
            var snapshot = latency.Snapshot();
            if (snapshot.Count == 0)
            {
                continue;
            }

            foreach (var (name, percentile) in Quantiles)
            {
                yield return new Measurement<double>(snapshot.Percentile(percentile) / 1_000_000.0, _node,
                    new("device", slot.Device), new("queue", slot.Index), new("quantile", name));
            }
        }
    }

    private List<(Slot Slot, Dataplane.Engine.Scheduling.ServiceCounters Service)> LiveServices()
    {
        lock (_gate)
        {
            return _devices.Values.SelectMany(s => s).Where(s => s.Current is not null).Select(s => (s, s.Current!.Counters.Service)).ToList();
        }
    }

    private IEnumerable<Measurement<double>> ObserveThrottled() =>
        LiveServices().Select(l => new Measurement<double>(l.Service.ThrottledNanos / 1e9, _node, new("device", l.Slot.Device), new("queue", l.Slot.Index)));

    private IEnumerable<Measurement<double>> ObserveTokens() =>
        LiveServices().SelectMany(l => new[] { ("ops", l.Service.OpsTokens), ("bytes", l.Service.BytesTokens) }
            .Where(t => double.IsFinite(t.Item2))
            .Select(t => new Measurement<double>(t.Item2, _node, new("device", l.Slot.Device), new("queue", l.Slot.Index), new("kind", t.Item1))));

    private IEnumerable<Measurement<double>> ObserveRate() =>
        LiveServices().Where(l => l.Service.Scheduled).SelectMany(l => new[]
        {
            new Measurement<double>(l.Service.OpsPerSecond, _node, new("device", l.Slot.Device), new("queue", l.Slot.Index), new("kind", "ops")),
            new Measurement<double>(l.Service.BytesPerSecond, _node, new("device", l.Slot.Device), new("queue", l.Slot.Index), new("kind", "bytes")),
        });

    private IEnumerable<Measurement<double>> ObserveShare() =>
        LiveServices().Where(l => l.Service.Scheduled && double.IsFinite(l.Service.Share))
            .Select(l => new Measurement<double>(l.Service.Share, _node, new("device", l.Slot.Device), new("queue", l.Slot.Index)));

    private IEnumerable<Measurement<int>> ObserveQueues()
    {
        lock (_gate)
        {
            return _devices.Select(d => new Measurement<int>(d.Value.Count(s => s.Current is not null), _node, new("device", d.Key))).ToArray();
        }
    }

    private IEnumerable<Measurement<int>> ObserveFaulted()
    {
        lock (_gate)
        {
            return _devices.Select(d => new Measurement<int>(d.Value.Count(s => s.Current is { } live && live.Counters.Faulted), _node, new("device", d.Key))).ToArray();
        }
    }

    /// <summary>One queue pair of a device, as the AC used it.</summary>
    private sealed class Slot(string device, string index)
    {
        public string Device { get; } = device;

        public string Index { get; } = index;

        public Live? Current { get; set; }

        public Totals Retired { get; set; } = Totals.Zero;
    }

    /// <summary>The queue on a slot and its counters when it came to the slot.</summary>
    private sealed record Live(QueueCounters Counters, Totals Baseline);

    private sealed record Totals(long Ops, long BytesIn, long BytesOut, long[] ByStatus)
    {
        public static Totals Zero { get; } = new(0, 0, 0, new long[ErrorStatuses.Length]);

        public static Totals Of(QueueCounters c) => new(c.Ops, c.BytesIn, c.BytesOut, ErrorStatuses.Select(c.CountOf).ToArray());

        public Totals Plus(Totals other) => new(Ops + other.Ops, BytesIn + other.BytesIn, BytesOut + other.BytesOut,
            ByStatus.Zip(other.ByStatus, (a, b) => a + b).ToArray());

        public Totals Minus(Totals other) => new(Ops - other.Ops, BytesIn - other.BytesIn, BytesOut - other.BytesOut,
            ByStatus.Zip(other.ByStatus, (a, b) => a - b).ToArray());
    }
}

public sealed class DataplaneMetricsProvider : ExtensionIdProvider<DataplaneMetrics>
{
    public override DataplaneMetrics CreateExtension(ExtendedActorSystem system) => new(system);
}
