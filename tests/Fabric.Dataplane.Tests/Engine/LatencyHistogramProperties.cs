using FsCheck;
using FsCheck.Xunit;
using Fabric.Dataplane.Engine;

namespace Fabric.Dataplane.Tests.Engine;

public class LatencyHistogramProperties
{
    [Property(MaxTest = 500)]
    public bool Every_value_lands_in_a_bucket_whose_upper_bound_is_within_an_eighth_above_it(PositiveInt raw, byte shift)
    {
        var value = (long)raw.Get << (shift % 24);
        var bound = LatencyHistogram.UpperBound(LatencyHistogram.IndexOf(value));
        return bound >= value && bound <= value + value / 8 + 1;
    }

    [Property(MaxTest = 200)]
    public bool Percentiles_are_ordered_and_bracket_the_recorded_values(NonEmptyArray<PositiveInt> raw)
    {
        var values = raw.Get.Select(v => (long)v.Get).ToArray();
        var histogram = new LatencyHistogram();
        foreach (var v in values)
        {
            histogram.Record(v);
        }
        var snapshot = histogram.Snapshot();
        var p50 = snapshot.Percentile(50);
        var p99 = snapshot.Percentile(99);
        var max = snapshot.Percentile(100);
        return snapshot.Count == values.Length
            && p50 <= p99 && p99 <= max
            && max >= values.Max() && max <= values.Max() + values.Max() / 8 + 1
            && snapshot.Percentile(0) >= values.Min() - values.Min() / 8 - 1;
    }
}
