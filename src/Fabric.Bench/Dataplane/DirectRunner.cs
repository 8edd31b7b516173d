using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using HdrHistogram;

namespace Fabric.Bench.Dataplane;

/// <summary>The operation called in-process on one thread: the CPU's limit, the baseline of the channel.</summary>
internal static class DirectRunner
{
    public static Figures Run(BenchCase c, TimeSpan duration) => Run(c, duration, c.CreateDriver);

    /// <summary>The case on a driver of the caller's choosing (the DPDK comparison runs one function on several).</summary>
    public static Figures Run(BenchCase c, TimeSpan duration, Func<IGDriver> createDriver)
    {
        using var driver = createDriver();
        driver.OpenSession(BenchCase.Key, out var session);
        var input = new byte[c.Size];
        BenchCase.FillInput(input);
        var output = new byte[c.OutCapacity];
        var deadline = long.MaxValue;

        // Warm up, then throughput without per-op clock reads, then latency with them.
        Loop(driver, session, input, output, deadline, TimeSpan.FromMilliseconds(200));
        var sw = Stopwatch.StartNew();
        long ops = 0;
        double best = 0;
        for (var w = 0; w < Figures.Windows; w++)
        {
            var window = Stopwatch.StartNew();
            var n = Loop(driver, session, input, output, deadline, duration / Figures.Windows);
            best = Math.Max(best, n / window.Elapsed.TotalSeconds);
            ops += n;
        }
        var mean = ops / sw.Elapsed.TotalSeconds;

        var histogram = new LongHistogram(10_000_000_000L, 3);
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds / 2 * Stopwatch.Frequency);
        var nanosPerTick = 1e9 / Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < end)
        {
            var t0 = Stopwatch.GetTimestamp();
            Execute(driver, session, input, output, deadline);
            histogram.RecordValue((long)((Stopwatch.GetTimestamp() - t0) * nanosPerTick));
        }
        driver.CloseSession(session);
        return new Figures(best, mean, histogram.GetValueAtPercentile(50), histogram.GetValueAtPercentile(99), ops, 1, Report.LatencyDistribution.From("", histogram, 1).Values);
    }

    private static long Loop(IGDriver driver, object? session, byte[] input, byte[] output, long deadline, TimeSpan duration)
    {
        long ops = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            for (var i = 0; i < 64; i++)
            {
                Execute(driver, session, input, output, deadline);
            }
            ops += 64;
        }
        return ops;
    }

    private static void Execute(IGDriver driver, object? session, byte[] input, byte[] output, long deadline)
    {
        var op = new DriverOp(OpCode.Forward, session, BenchCase.Nonce, 0, deadline);
        if (driver.Execute(op, input, output, out _) != OpStatus.Ok)
        {
            throw new InvalidOperationException($"{driver.Function} failed in the direct run");
        }
    }
}
