using System.Diagnostics;
using System.Text.Json.Nodes;
using Fabric.Bench.Dataplane;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Engine.Scheduling;
using Fabric.Dataplane.Guest;
using HdrHistogram;

namespace Fabric.Bench.Qos;

/// <summary>
/// The noisy-neighbour measurement: one AC worker (pinned like the dataplane bench's), a victim posting 64 B AES-GCM ops
/// one at a time at a modest rate and timing each from submission to completion, and a hog keeping its ring full of
/// large ops. Phases, all in this run: victim alone; with the hog, every queue best effort (plain round-robin); with
/// service levels (victim latency class, hog capped at a fraction of what it got under round-robin). Then two
/// saturating queues, weighted 3:1 against round-robin, for the scheduler's cost on total throughput.
/// </summary>
internal static class QosBench
{
    public sealed record Settings(TimeSpan Phase, int VictimRate, double HogPeakFraction);

    private sealed record Hog(string Name, string Function, int Size);

    private static readonly Hog[] Hogs = [new("aes-256-gcm 16 KiB", "aes-256-gcm", 16 * 1024), new("deflate 64 KiB", "deflate", 64 * 1024)];

    public static async Task<JsonObject> Run(Settings settings, TextWriter progress)
    {
        var load = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg")).Trim() : "unknown";
        var cases = new JsonArray();
        foreach (var hog in Hogs)
        {
            progress.WriteLine($"qos: {hog.Name}");
            cases.Add(await RunCase(hog, settings, progress));
        }
        progress.WriteLine("qos: total throughput, weighted 3:1 vs round-robin");
        var total = await RunTotal(settings);
        var first = cases[0]!.AsObject();
        return new JsonObject
        {
            ["bench"] = "qos",
            ["load_average_at_start"] = load,
            ["load_average_at_end"] = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg")).Trim() : "unknown",
            ["processors"] = Environment.ProcessorCount,
            ["seconds_per_phase"] = settings.Phase.TotalSeconds,
            ["victim_rate_ops_per_second"] = settings.VictimRate,
            ["victim_p99_alone_us"] = first["victim_p99_alone_us"]!.GetValue<double>(),
            ["victim_p99_with_hog_us"] = first["victim_p99_with_hog_us"]!.GetValue<double>(),
            ["victim_p99_with_qos_us"] = first["victim_p99_with_qos_us"]!.GetValue<double>(),
            ["hog_rate_vs_peak"] = first["hog_rate_vs_peak"]!.GetValue<double>(),
            ["total_vs_round_robin"] = total["total_vs_round_robin"]!.GetValue<double>(),
            ["goals"] = new JsonObject
            {
                ["victim_p99_with_qos_within_2x_alone"] = "victim_p99_with_qos_us <= 2 x victim_p99_alone_us",
                ["hog_within_5_percent_of_peak"] = "0.95 <= hog_rate_vs_peak <= 1.05",
                ["total_at_least_0.95x"] = "total_vs_round_robin >= 0.95",
            },
            ["cases"] = cases,
            ["total"] = total,
        };
    }

    private static async Task<JsonObject> RunCase(Hog hog, Settings settings, TextWriter progress)
    {
        await using var rig = await Rig.Start(hog);
        var alone = rig.Measure(settings, hogRunning: false);
        progress.WriteLine($"  alone: p50 {alone.P50:F1} us, p99 {alone.P99:F1} us");
        var roundRobin = rig.Measure(settings, hogRunning: true);
        progress.WriteLine($"  with the hog, round-robin: p50 {roundRobin.P50:F1} us, p99 {roundRobin.P99:F1} us; hog {roundRobin.HogBytesPerSecond / 1e6:F1} MB/s");

        var peak = (long)(roundRobin.HogBytesPerSecond * settings.HogPeakFraction);
        await rig.Engine.SetServiceLevel("victim", QueueServiceLevel.BestEffort with { Class = QueueClass.Latency });
        await rig.Engine.SetServiceLevel("hog", QueueServiceLevel.BestEffort with { PeakBytesPerSecond = Math.Max(1, peak) });
        var qos = rig.Measure(settings, hogRunning: true);
        var hogStats = rig.Engine.GetStats("hog")!.Service!;
        progress.WriteLine($"  with service levels: p50 {qos.P50:F1} us, p99 {qos.P99:F1} us; hog {qos.HogBytesPerSecond / 1e6:F1} MB/s against a peak of {peak / 1e6:F1} MB/s");
        return new JsonObject
        {
            ["hog"] = hog.Name,
            ["victim_p50_alone_us"] = Round(alone.P50),
            ["victim_p99_alone_us"] = Round(alone.P99),
            ["victim_p50_with_hog_us"] = Round(roundRobin.P50),
            ["victim_p99_with_hog_us"] = Round(roundRobin.P99),
            ["victim_p50_with_qos_us"] = Round(qos.P50),
            ["victim_p99_with_qos_us"] = Round(qos.P99),
            ["victim_p99_with_qos_vs_alone"] = Round(qos.P99 / alone.P99),
            ["victim_p99_with_hog_vs_alone"] = Round(roundRobin.P99 / alone.P99),
            ["victim_ops"] = new JsonArray(alone.VictimOps, roundRobin.VictimOps, qos.VictimOps),
            ["hog_bytes_per_second_round_robin"] = Round(roundRobin.HogBytesPerSecond),
            ["hog_peak_bytes_per_second"] = peak,
            ["hog_bytes_per_second_with_qos"] = Round(qos.HogBytesPerSecond),
            ["hog_rate_vs_peak"] = Round(qos.HogBytesPerSecond / peak, 4),
            ["hog_throttled_ms"] = Round(hogStats.ThrottledNanos / 1e6),
        };
    }

    /// <summary>Two saturating 16 KiB AES-GCM queues: bytes/s of both under round-robin, then weighted 3:1.</summary>
    private static async Task<JsonObject> RunTotal(Settings settings)
    {
        var hog = Hogs[0];
        await using var rig = await Rig.Start(hog, secondHog: true);
        var roundRobin = rig.Saturate(settings.Phase);
        await rig.Engine.SetServiceLevel("hog", QueueServiceLevel.BestEffort with { Weight = 3 });
        await rig.Engine.SetServiceLevel("victim", QueueServiceLevel.BestEffort with { Weight = 1 });
        var weighted = rig.Saturate(settings.Phase);
        var rrTotal = roundRobin.A + roundRobin.B;
        var wTotal = weighted.A + weighted.B;
        return new JsonObject
        {
            ["queues"] = "two saturating 16 KiB AES-GCM queues",
            ["round_robin_bytes_per_second"] = Round(rrTotal),
            ["weighted_bytes_per_second"] = Round(wTotal),
            ["total_vs_round_robin"] = Round(wTotal / rrTotal, 4),
            ["weighted_share_of_weight_3"] = Round(weighted.A / wTotal, 4),
            ["round_robin_share"] = Round(roundRobin.A / rrTotal, 4),
        };
    }

    private static double Round(double value, int digits = 1) => double.IsFinite(value) ? Math.Round(value, digits) : -1;

    private sealed record Phase(double P50, double P99, long VictimOps, double HogBytesPerSecond);

    /// <summary>One engine with one worker, the victim's queue and the hog's (or a second hog in place of the victim).</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly List<string> _paths = [];
        private readonly Hog _hog;
        private GuestChannel _victim = null!;
        private GuestChannel _hogGuest = null!;
        private uint _victimSession;
        private uint _hogSession;
        private uint _secondSession;

        private Rig(Hog hog, AccelerationEngine engine)
        {
            _hog = hog;
            Engine = engine;
        }

        public AccelerationEngine Engine { get; }

        public static async Task<Rig> Start(Hog hog, bool secondHog = false)
        {
            // A generous op deadline: on a loaded shared machine a 64 KiB deflate behind a burst of them can take long.
            var engine = new AccelerationEngine(new EngineOptions
            {
                Workers = 1, Cores = [Pinned.Cores.Ac], Nice = Pinned.Nice, Queue = QueueOptions.Default with { OpDeadline = TimeSpan.FromSeconds(10) },
            });
            var rig = new Rig(hog, engine);
            var hogGeometry = new ChannelGeometry(64, 64, 34, 2 * hog.Size + 4096);
            var victimPath = rig.NewPath();
            var hogPath = rig.NewPath();
            await engine.AddQueue("victim", ChannelFile.Create(victimPath, secondHog ? hogGeometry : new ChannelGeometry(8, 8, 4, 4096)),
                GDriverCatalog.Create(secondHog ? hog.Function : "aes-256-gcm"), worker: 0);
            await engine.AddQueue("hog", ChannelFile.Create(hogPath, hogGeometry), GDriverCatalog.Create(hog.Function), worker: 0);
            var timeout = TimeSpan.FromSeconds(10);
            rig._victim = GuestChannel.Open(victimPath);
            rig._hogGuest = GuestChannel.Open(hogPath);
            rig._victimSession = rig._victim.OpenSession(BenchCase.Key, 0, timeout);
            rig._hogSession = hog.Function == "deflate" ? 0 : rig._hogGuest.OpenSession(BenchCase.Key, 0, timeout);
            rig._secondSession = rig._victimSession;
            BenchCase.FillInput(rig._victim.Slot(1)[..(secondHog ? hog.Size : 64)]);
            BenchCase.FillInput(rig._hogGuest.Slot(0)[..hog.Size]);
            return rig;
        }

        private string NewPath()
        {
            var path = ChannelFile.PathFor("bench-qos-" + Guid.NewGuid().ToString("N"));
            _paths.Add(path);
            return path;
        }

        /// <summary>The victim for one phase, the hog flooding meanwhile when asked.</summary>
        public Phase Measure(Settings settings, bool hogRunning)
        {
            using var stop = new CancellationTokenSource();
            var hogOps = 0L;
            var hogThread = hogRunning ? new Thread(() => hogOps = Flood(_hogGuest, _hogSession, _hog.Size, stop.Token)) { IsBackground = true, Name = "bench-qos-hog" } : null;
            hogThread?.Start();
            // Let the hog fill its ring and the worker settle before timing.
            Thread.Sleep(200);
            var histogram = new LongHistogram(10_000_000_000L, 3);
            var clock = Stopwatch.StartNew();
            var victimOps = Victim(settings, histogram);
            var hogSeconds = clock.Elapsed.TotalSeconds + 0.2;
            stop.Cancel();
            hogThread?.Join();
            return new Phase(histogram.GetValueAtPercentile(50) / 1000.0, histogram.GetValueAtPercentile(99) / 1000.0, victimOps,
                hogRunning ? hogOps * (double)_hog.Size / hogSeconds : 0);
        }

        /// <summary>Both queues flooding (the "victim" queue carries hog-sized ops here): bytes/s of each.</summary>
        public (double A, double B) Saturate(TimeSpan phase)
        {
            using var stop = new CancellationTokenSource();
            long a = 0, b = 0;
            var ta = new Thread(() => a = Flood(_hogGuest, _hogSession, _hog.Size, stop.Token)) { IsBackground = true };
            var tb = new Thread(() => b = Flood(_victim, _secondSession, _hog.Size, stop.Token, inSlot: 1)) { IsBackground = true };
            var clock = Stopwatch.StartNew();
            ta.Start();
            tb.Start();
            Thread.Sleep(phase);
            stop.Cancel();
            ta.Join();
            tb.Join();
            var seconds = clock.Elapsed.TotalSeconds;
            return (a * (double)_hog.Size / seconds, b * (double)_hog.Size / seconds);
        }

        /// <summary>One 64 B seal at a time, paced at the victim rate; each timed from submission to its completion.</summary>
        private long Victim(Settings settings, LongHistogram histogram)
        {
            var d = new SubmissionDescriptor
            {
                Op = OpCode.Forward, Session = _victimSession, InSlot = 1, InLength = 64, OutSlot = 2, OutCapacity = 64 + 16,
            };
            BenchCase.Nonce.CopyTo(d.Param);
            var interval = Stopwatch.Frequency / settings.VictimRate;
            var end = Stopwatch.GetTimestamp() + (long)(settings.Phase.TotalSeconds * Stopwatch.Frequency);
            var next = Stopwatch.GetTimestamp();
            long ops = 0;
            var timeout = TimeSpan.FromSeconds(10);
            while (Stopwatch.GetTimestamp() < end)
            {
                // Behind schedule (an op waited long): the next one goes now, the phase still ends on time.
                next = Math.Max(next, Stopwatch.GetTimestamp());
                while (Stopwatch.GetTimestamp() < next)
                {
                    Thread.SpinWait(20);
                }
                d.Tag = (ulong)ops;
                var start = Stopwatch.GetTimestamp();
                if (!_victim.TrySubmit(d))
                {
                    throw new InvalidOperationException("the victim's ring is full: a completion went missing");
                }
                CompletionEntry c;
                while (!_victim.TryPoll(out c))
                {
                    if (Stopwatch.GetElapsedTime(start) > timeout)
                    {
                        throw new TimeoutException("the victim's op was not answered within 10 s");
                    }
                }
                var nanos = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
                if (c.Status != OpStatus.Ok)
                {
                    throw new InvalidOperationException($"the victim's op failed: {c.Status}");
                }
                histogram.RecordValue(Math.Max(1, nanos));
                ops++;
                next += interval;
            }
            return ops;
        }

        /// <summary>Keeps a ring full of <paramref name="size"/>-byte ops until stopped; returns the ops completed.</summary>
        private static long Flood(GuestChannel g, uint session, int size, CancellationToken stop, int inSlot = 0)
        {
            var batch = new SubmissionDescriptor[16];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = new SubmissionDescriptor
                {
                    Tag = (ulong)i, Op = OpCode.Forward, Session = session, InSlot = (uint)inSlot, InLength = (uint)size,
                    OutSlot = (uint)(2 + (i % 32)), OutCapacity = (uint)(size + 4096),
                };
                BenchCase.Nonce.CopyTo(batch[i].Param);
            }
            var completions = new CompletionEntry[64];
            long done = 0;
            while (!stop.IsCancellationRequested)
            {
                g.SubmitBatch(batch);
                var n = g.Poll(completions);
                for (var i = 0; i < n; i++)
                {
                    // Only answered ops count; a failure (a deadline on a starved machine) is reported on stderr, not thrown.
                    if (completions[i].Status == OpStatus.Ok)
                    {
                        done++;
                    }
                    else
                    {
                        Console.Error.WriteLine($"qos: a hog op failed: {completions[i].Status}");
                    }
                }
                if (n == 0)
                {
                    Thread.SpinWait(20);
                }
            }
            // Answer everything still posted, so the next phase starts from empty rings.
            var patience = Stopwatch.StartNew();
            // Reap on every pass: a full completion ring would keep the AC from taking what is still posted.
            while (g.Poll(completions) > 0 || g.PendingSubmissions > 0)
            {
                if (patience.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException("the hog's ring did not drain");
                }
                Thread.SpinWait(20);
            }
            return done;
        }

        public async ValueTask DisposeAsync()
        {
            _victim?.Dispose();
            _hogGuest?.Dispose();
            await Engine.DisposeAsync();
            foreach (var path in _paths)
            {
                try
                {
                    File.Delete(path);
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
