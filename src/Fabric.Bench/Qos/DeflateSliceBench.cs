using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Fabric.Bench.Dataplane;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Bench.Qos;

/// <summary>
/// What slicing costs deflate: the <see cref="DeflateDriver"/> called directly (no AC), 64 KiB ops, compressed in one
/// call (<see cref="DeflateDriver.Execute"/>) against fed in slices (<see cref="IAsyncGDriver.Submit"/>, then
/// <see cref="IAsyncGDriver.Poll"/> until it completes). The two alternate op by op on the same pinned core, each op
/// timed alone: on a shared machine most ops lose part of their time to the neighbours, so each side's figure is its
/// fastest op (the closest to a quiet core), and <c>sliced_vs_one_shot</c> their ratio; the median over the op pairs
/// of their own ratio is kept beside it (a pair shares the moment's load).
/// </summary>
internal static unsafe class DeflateSliceBench
{
    public const int OpBytes = 64 * 1024;

    public static JsonObject Measure(int level, int sliceBytes, TimeSpan budget)
    {
        using var driver = new DeflateDriver(level, sliceBytes);
        var input = (byte*)NativeMemory.Alloc(OpBytes);
        var output = (byte*)NativeMemory.Alloc(OpBytes + 4096);
        try
        {
            BenchCase.FillInput(new Span<byte>(input, OpBytes));
            var request = new DriverRequest
            {
                Token = 1, Code = OpCode.Forward, Input = (nint)input, InputLength = OpBytes, Output = (nint)output, OutputCapacity = OpBytes + 4096,
            };
            // Warm both paths (zlib's tables, the JIT) before timing.
            for (var i = 0; i < 3; i++)
            {
                OneShot(driver, input, output);
                Sliced(driver, request);
            }
            var oneShot = new List<long>();
            var sliced = new List<long>();
            var ratios = new List<double>();
            long polls = 0;
            var end = Stopwatch.GetTimestamp() + (long)(budget.TotalSeconds * Stopwatch.Frequency);
            while (oneShot.Count < 10 || (Stopwatch.GetTimestamp() < end && oneShot.Count < 100_000))
            {
                var t0 = Stopwatch.GetTimestamp();
                OneShot(driver, input, output);
                var t1 = Stopwatch.GetTimestamp();
                polls = Sliced(driver, request);
                var t2 = Stopwatch.GetTimestamp();
                oneShot.Add(t1 - t0);
                sliced.Add(t2 - t1);
                ratios.Add((t1 - t0) / (double)(t2 - t1));
            }
            double MBps(long ticks) => OpBytes / (ticks / (double)Stopwatch.Frequency) / 1e6;
            var bestOne = MBps(oneShot.Min());
            var bestSliced = MBps(sliced.Min());
            return new JsonObject
            {
                ["level"] = level,
                ["slice_bytes"] = sliceBytes,
                ["polls_per_op"] = polls,
                ["op_pairs"] = oneShot.Count,
                ["one_shot_mb_per_second"] = Math.Round(bestOne, 1),
                ["sliced_mb_per_second"] = Math.Round(bestSliced, 1),
                ["sliced_vs_one_shot"] = Math.Round(bestSliced / bestOne, 3),
                ["sliced_vs_one_shot_median_of_pairs"] = Math.Round(ratios.Order().ElementAt(ratios.Count / 2), 3),
                ["one_shot_op_us"] = Math.Round(OpBytes / bestOne, 1),
                ["slice_us"] = Math.Round(sliceBytes / bestSliced, 2),
            };
        }
        finally
        {
            NativeMemory.Free(input);
            NativeMemory.Free(output);
        }
    }

    private static void OneShot(DeflateDriver driver, byte* input, byte* output)
    {
        var status = driver.Execute(new DriverOp(OpCode.Forward, null, default, 0, long.MaxValue),
            new ReadOnlySpan<byte>(input, OpBytes), new Span<byte>(output, OpBytes + 4096), out _);
        if (status != OpStatus.Ok)
        {
            throw new InvalidOperationException($"deflate one-shot failed: {status}");
        }
    }

    /// <summary>One op through Submit and Poll; returns the polls (slices) it took.</summary>
    private static long Sliced(DeflateDriver driver, DriverRequest request)
    {
        Span<DriverRequest> one = [request];
        Span<DriverCompletion> done = stackalloc DriverCompletion[1];
        if (driver.Submit(one) != 1)
        {
            throw new InvalidOperationException("the deflate driver refused an op while empty");
        }
        var polls = 0L;
        do
        {
            polls++;
        }
        while (driver.Poll(done) == 0);
        if (done[0].Status != OpStatus.Ok)
        {
            throw new InvalidOperationException($"deflate sliced failed: {done[0].Status}");
        }
        return polls;
    }
}
