using System.Diagnostics.Metrics;
using Fabric.Messages.Operator;

namespace Fabric.Control.Metrics;

/// <summary>
/// Reads this node's meters (and only them: another node in the same process has meters of the same names) the way
/// an exporter does, with a <see cref="MeterListener"/>: pushed counters and histograms are accumulated from the
/// node's start, observable instruments are observed at each <see cref="Read"/>. fabric-cmd shows these readings,
/// so it shows the numbers a scrape of <c>/metrics</c> shows.
/// </summary>
public sealed class MetricsReader : IDisposable
{
    // OpenTelemetry's default bounds, for a histogram that gives no advice.
    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly object _gate = new();
    private readonly HashSet<Meter> _meters = [];
    private readonly Dictionary<(Instrument Instrument, string Key), Series> _series = new();
    private readonly MeterListener _listener = new();
    private long _reading;

    public MetricsReader()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            lock (_gate)
            {
                if (_meters.Contains(instrument.Meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
    }

    /// <summary>Reads <paramref name="meter"/> from now on: call it before the meter's instruments are made.</summary>
    public void Add(Meter meter)
    {
        lock (_gate)
        {
            _meters.Add(meter);
        }
    }

    /// <summary>Every series of this node's meters now, sorted by name and tags.</summary>
    public IReadOnlyList<MetricSample> Read()
    {
        lock (_gate)
        {
            _reading++;
            // Runs the observable instruments' callbacks on this thread; their measurements come back through Record.
            _listener.RecordObservableInstruments();
            var samples = new List<MetricSample>(_series.Count);
            foreach (var ((instrument, _), series) in _series)
            {
                if (instrument.IsObservable && series.Reading != _reading)
                {
                    continue; // not observed this time: the series is gone (e.g. a device that left)
                }

                samples.Add(series.ToSample(instrument));
            }

            return samples
                .OrderBy(s => s.Name, StringComparer.Ordinal)
                .ThenBy(s => string.Join(",", s.Tags.Select(t => $"{t.Key}={t.Value}")), StringComparer.Ordinal)
                .ToArray();
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var sorted = new MetricTag[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            sorted[i] = new MetricTag(tags[i].Key, Convert.ToString(tags[i].Value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
        }

        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var key = string.Join('\u0001', sorted.Select(t => $"{t.Key}={t.Value}"));
        lock (_gate)
        {
            if (!_series.TryGetValue((instrument, key), out var series))
            {
                series = new Series(sorted, KindOf(instrument), BoundsOf(instrument));
                _series[(instrument, key)] = series;
            }

            series.Reading = _reading;
            switch (series.Kind)
            {
                case MetricKind.Histogram:
                    series.Observe(value);
                    break;
                case MetricKind.Counter when !instrument.IsObservable:
                    series.Value += value;
                    break;
                default:
                    // An observable instrument reports its whole value each time.
                    series.Value = value;
                    break;
            }
        }
    }

    private static MetricKind KindOf(Instrument instrument)
    {
        var type = instrument.GetType();
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (definition == typeof(Histogram<>))
        {
            return MetricKind.Histogram;
        }

        return definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>) ? MetricKind.Counter : MetricKind.Gauge;
    }

    private static double[] BoundsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => bounds.ToArray(),
        Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => bounds.Select(b => (double)b).ToArray(),
        _ => DefaultBounds,
    };

    public void Dispose() => _listener.Dispose();

    private sealed class Series(MetricTag[] tags, MetricKind kind, double[] bounds)
    {
        private readonly long[] _buckets = kind == MetricKind.Histogram ? new long[bounds.Length + 1] : [];
        private long _count;

        public MetricKind Kind { get; } = kind;

        public double Value { get; set; }

        public long Reading { get; set; }

        public void Observe(double value)
        {
            var bucket = Array.BinarySearch(bounds, value);
            // A value equal to a bound belongs to that bound's bucket (upper bounds are inclusive, as in Prometheus).
            _buckets[bucket >= 0 ? bucket : ~bucket]++;
            _count++;
            Value += value;
        }

        public MetricSample ToSample(Instrument instrument) => new(
            instrument.Meter.Name, instrument.Name, instrument.Unit ?? "", Kind, tags,
            Kind == MetricKind.Histogram ? _count : Value,
            Kind == MetricKind.Histogram ? new MetricHistogram(_count, Value, bounds.ToArray(), _buckets.ToArray()) : null);
    }
}
