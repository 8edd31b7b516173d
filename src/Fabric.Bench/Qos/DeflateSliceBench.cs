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
/// <see cref="IAsyncGDriver.Poll"/> until it completes). Both sides alternate in short rounds on the same pinned core, so
/// a burst of load from the neighbours hits both. Each side's figure is its best round (the closest to a quiet core on a
/// shared machine), and their ratio is <c>sliced_vs_one_shot</c>; the median of the rounds' own ratios is kept beside it.
/// </summary>
internal static unsafe class DeflateSliceBench
{
    public const int OpBytes = 64 * 1024;

    private const int Rounds = 15;

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
            OneShot(driver, input, output, 3);
            Sliced(driver, request, 3, out _);
            var perRound = budget / (2 * Rounds);
            var ops = Math.Max(2, (int)(perRound.TotalSeconds / Seconds(() => OneShot(driver, input, output, 2)) * 2));
            var oneShot = new double[Rounds];
            var sliced = new double[Rounds];
            var ratios = new double[Rounds];
            long slices = 0;
            for (var r = 0; r < Rounds; r++)
            {
                oneShot[r] = OpBytes * (double)ops / Seconds(() => OneShot(driver, input, output, ops));
                var polls = 0L;
                sliced[r] = OpBytes * (double)ops / Seconds(() => Sliced(driver, request, ops, out polls));
                slices = polls / ops;
                ratios[r] = sliced[r] / oneShot[r];
            }
            return new JsonObject
            {
                ["level"] = level,
                ["slice_bytes"] = sliceBytes,
                ["polls_per_op"] = slices,
                ["one_shot_mb_per_second"] = Math.Round(oneShot.Max() / 1e6, 1),
                ["sliced_mb_per_second"] = Math.Round(sliced.Max() / 1e6, 1),
                ["sliced_vs_one_shot"] = Math.Round(sliced.Max() / oneShot.Max(), 3),
                ["sliced_vs_one_shot_median_of_rounds"] = Math.Round(Median(ratios), 3),
                ["slice_us"] = Math.Round(sliceBytes / sliced.Max() * 1e6, 1),
                ["ops_per_round"] = ops,
            };
        }
        finally
        {
            NativeMemory.Free(input);
            NativeMemory.Free(output);
        }
    }

    private static void OneShot(DeflateDriver driver, byte* input, byte* output, int ops)
    {
        for (var i = 0; i < ops; i++)
        {
            var status = driver.Execute(new DriverOp(OpCode.Forward, null, default, 0, long.MaxValue),
                new ReadOnlySpan<byte>(input, OpBytes), new Span<byte>(output, OpBytes + 4096), out _);
            if (status != OpStatus.Ok)
            {
                throw new InvalidOperationException($"deflate one-shot failed: {status}");
            }
        }
    }

    private static void Sliced(DeflateDriver driver, DriverRequest request, int ops, out long polls)
    {
        Span<DriverRequest> one = [request];
        Span<DriverCompletion> done = stackalloc DriverCompletion[1];
        polls = 0;
        for (var i = 0; i < ops; i++)
        {
            if (driver.Submit(one) != 1)
            {
                throw new InvalidOperationException("the deflate driver refused an op while empty");
            }
            do
            {
                polls++;
            }
            while (driver.Poll(done) == 0);
            if (done[0].Status != OpStatus.Ok)
            {
                throw new InvalidOperationException($"deflate sliced failed: {done[0].Status}");
            }
        }
    }

    private static double Seconds(Action body)
    {
        var start = Stopwatch.GetTimestamp();
        body();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
