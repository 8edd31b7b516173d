using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// The driver alone, as the AC's worker drives it but without a guest: bursts of 32 AES-256-GCM seals on buffers in a
/// real channel's arena, Submit then Poll until the burst is back, on one pinned thread. Besides ops/s it reports the
/// thread's own CPU time per op (CLOCK_THREAD_CPUTIME_ID), which a loaded machine disturbs far less than wall time:
/// the figure to compare with dpdk-test-crypto-perf's ns/op when the cores are shared.
/// </summary>
internal static unsafe partial class DpdkDriverLoop
{
    private const int Burst = 32;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    private static long ThreadCpuNanos() => ClockGetTime(ThreadCpuClock, out var t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanoseconds : 0;

    /// <summary>Runs <paramref name="make"/>'s driver for <paramref name="duration"/>; the driver is disposed.</summary>
    public static JsonObject Run(Func<DpdkGDriver> make, int size, TimeSpan duration)
    {
        var path = ChannelFile.PathFor($"bench-dpdk-loop-{Environment.ProcessId}");
        var slot = (size + 16 + 63) / 64 * 64;
        var file = ChannelFile.Create(path, new ChannelGeometry(Burst, Burst, Burst * 2, slot));
        try
        {
            var arena = file.Arena ?? throw new InvalidOperationException("a channel this process created has an arena");
            using var driver = make();
            driver.UseArena(file.LeaseArena());
            driver.OpenSession(BenchCase.Key, out var session);
            var input = new Span<byte>((void*)arena.Arena, Burst * slot);
            BenchCase.FillInput(input);
            var requests = new DriverRequest[Burst];
            var param = default(Param16);
            BenchCase.Nonce.CopyTo(param);
            for (var i = 0; i < Burst; i++)
            {
                requests[i] = new DriverRequest
                {
                    Token = (ulong)i,
                    Code = OpCode.Forward,
                    Session = session,
                    Input = arena.Arena + i * slot,
                    InputLength = size,
                    Output = arena.Arena + (Burst + i) * slot,
                    OutputCapacity = slot,
                    DeadlineTimestamp = long.MaxValue,
                    Param = param,
                };
            }
            var completions = new DriverCompletion[Burst];
            Loop(driver, requests, completions, Stopwatch.GetTimestamp() + Stopwatch.Frequency / 5); // warm up
            var cpu0 = ThreadCpuNanos();
            var wall = Stopwatch.StartNew();
            var ops = Loop(driver, requests, completions, Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency));
            var seconds = wall.Elapsed.TotalSeconds;
            var cpu = ThreadCpuNanos() - cpu0;
            driver.CloseSession(session);
            return new JsonObject
            {
                ["ops_per_sec"] = Math.Round(ops / seconds),
                ["cpu_ns_per_op"] = Math.Round((double)cpu / ops, 1),
                ["ops_per_cpu_sec"] = Math.Round(ops / (cpu / 1e9)),
                ["zero_copy_ops"] = driver.ZeroCopyOps,
            };
        }
        finally
        {
            file.DisposeAndDelete();
        }
    }

    private static long Loop(DpdkGDriver driver, DriverRequest[] requests, DriverCompletion[] completions, long end)
    {
        long ops = 0;
        while (Stopwatch.GetTimestamp() < end)
        {
            var submitted = 0;
            var back = 0;
            while (back < Burst)
            {
                if (submitted < Burst)
                {
                    submitted += driver.Submit(requests.AsSpan(submitted));
                }
                var n = driver.Poll(completions);
                for (var i = 0; i < n; i++)
                {
                    if (completions[i].Status != OpStatus.Ok)
                    {
                        throw new InvalidOperationException($"{driver.Device.Name}: op {completions[i].Token} answered {completions[i].Status}");
                    }
                }
                back += n;
            }
            ops += Burst;
        }
        return ops;
    }
}
