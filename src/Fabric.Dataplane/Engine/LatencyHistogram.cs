using System.Runtime.CompilerServices;
using System.Numerics;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// Log-linear latency histogram in nanoseconds (8 sub-buckets per power of two, so +-12.5%).
/// One writer (the worker) records without locks or allocation; readers take a snapshot at any time
/// (a racing reader may miss the increments in flight, nothing worse).
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBits = 3;
    private const int SubCount = 1 << SubBits;
    private const int MaxExponent = 42;
    internal const int BucketCount = (MaxExponent - SubBits + 1) * SubCount + SubCount;

    private readonly long[] _counts = new long[BucketCount];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int IndexOf(long nanos)
    {
        if (nanos < SubCount)
        {
            return nanos < 0 ? 0 : (int)nanos;
        }
        var exponent = Math.Min(BitOperations.Log2((ulong)nanos), MaxExponent);
        var mantissa = (int)((ulong)nanos >> (exponent - SubBits)) & (SubCount - 1);
        return (exponent - SubBits + 1) * SubCount + mantissa;
    }

    /// <summary>Upper bound of a bucket, in nanoseconds.</summary>
    internal static long UpperBound(int index)
    {
        if (index < SubCount)
        {
            return index;
        }
        var exponent = index / SubCount - 1 + SubBits;
        var mantissa = index % SubCount;
        return ((long)(SubCount + mantissa + 1) << (exponent - SubBits)) - 1;
    }

    /// <summary>Single writer only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long nanos)
    {
        ref var slot = ref _counts[IndexOf(nanos)];
        Volatile.Write(ref slot, slot + 1);
    }

    public LatencySnapshot Snapshot()
    {
        var copy = new long[BucketCount];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Volatile.Read(ref _counts[i]);
        }
        return new LatencySnapshot(copy);
    }
}

/// <summary>A copy of a <see cref="LatencyHistogram"/> at one moment.</summary>
public sealed class LatencySnapshot
{
    private readonly long[] _counts;

    internal LatencySnapshot(long[] counts)
    {
        _counts = counts;
        foreach (var c in counts)
        {
            Count += c;
        }
    }

    public long Count { get; }

    /// <summary>Value at a percentile (0-100), in nanoseconds (bucket upper bound); 0 when empty.</summary>
    public long Percentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }
        var rank = (long)Math.Ceiling(Count * Math.Clamp(percentile, 0, 100) / 100.0);
        rank = Math.Max(rank, 1);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return LatencyHistogram.UpperBound(i);
            }
        }
        return LatencyHistogram.UpperBound(_counts.Length - 1);
    }
}
