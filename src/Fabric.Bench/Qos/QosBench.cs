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
    /// <param name="DeflateSliceBytes">the deflate hog's slice (input its driver compresses per poll).</param>
    /// <param name="SliceSweep">slice sizes to measure deflate's throughput and the victim's tail at (empty: none).</param>
    public sealed record Settings(TimeSpan Phase, int VictimRate, double HogPeakFraction, int DeflateSliceBytes = DeflateDriver.DefaultSliceBytes, int[]? SliceSweep = null);

    private sealed record Hog(string Name, string Function, int Size);

    private static readonly Hog[] Hogs = [new("aes-256-gcm 16 KiB", "aes-256-gcm", 16 * 1024), new("deflate 64 KiB", "deflate", 64 * 1024)];

    public static async Task<JsonObject> Run(Settings settings, TextWriter progress)
    {
        var load = LoadAverage();
        var cases = new JsonArray();
        foreach (var hog in Hogs)
        {
            progress.WriteLine($"qos: {hog.Name}");
            cases.Add(await RunCase(hog, settings, progress));
        }
        progress.WriteLine("qos: total throughput, weighted 3:1 vs round-robin");
        var total = await RunTotal(settings);
        var first = cases[0]!.AsObject();
        var slices = settings.SliceSweep is { Length: > 0 } sweep ? await RunSlices(sweep, settings, progress) : null;
        return new JsonObject
        {
            ["bench"] = "qos",
            ["load_average_at_start"] = load,
            ["load_average_at_end"] = LoadAverage(),
            ["load_average"] = LoadAverage(),
            ["cpu_count"] = Environment.ProcessorCount,
            ["processors"] = Environment.ProcessorCount,
            ["placement"] = $"AC worker pinned to core {Pinned.Cores.Ac}, guest threads (victim, hog) pinned to core {Pinned.Cores.Guest}",
            ["seconds_per_phase"] = settings.Phase.TotalSeconds,
            ["victim_rate_ops_per_second"] = settings.VictimRate,
            ["victim_p99_alone_us"] = first["victim_p99_alone_us"]!.GetValue<double>(),
            ["victim_p99_with_hog_us"] = first["victim_p99_with_hog_us"]!.GetValue<double>(),
            ["victim_p99_with_qos_us"] = first["victim_p99_with_qos_us"]!.GetValue<double>(),
            ["victim_p99_with_qos_explanation"] = first["victim_p99_with_qos_explanation"]!.GetValue<string>(),
            ["hog_rate_vs_peak"] = first["hog_rate_vs_peak"]!.GetValue<double>(),
            ["victim_ops"] = first["victim_ops"]!.DeepClone(),
            ["total_vs_round_robin"] = total["total_vs_round_robin"]!.GetValue<double>(),
            ["weights"] = new JsonObject
            {
                ["configured_share_of_weight_3"] = 0.75,
                ["achieved_share_of_weight_3"] = total["weighted_share_of_weight_3"]!.GetValue<double>(),
                ["achieved_vs_configured"] = Round(total["weighted_share_of_weight_3"]!.GetValue<double>() / 0.75, 4),
            },
            ["goals"] = new JsonObject
            {
                ["victim_p99_with_qos_within_2x_alone"] = "victim_p99_with_qos_us <= 2 x victim_p99_alone_us",
                ["hog_within_5_percent_of_peak"] = "0.95 <= hog_rate_vs_peak <= 1.05",
                ["total_at_least_0.95x"] = "total_vs_round_robin >= 0.95",
            },
            ["deflate_slice_bytes"] = settings.DeflateSliceBytes,
            ["cases"] = cases,
            ["total"] = total,
            ["deflate_slices"] = slices,
        };
    }

    /// <summary>
    /// Per slice size: deflate's throughput fed in slices against one call (level 6 and 1, 64 KiB ops, the driver called
    /// directly on the AC's core), and the victim's tail behind the 64 KiB deflate hog with service levels at that slice.
    /// </summary>
    private static async Task<JsonObject> RunSlices(int[] sweep, Settings settings, TextWriter progress)
    {
        var rows = new JsonArray();
        var hog = Hogs.Single(h => h.Function == "deflate");
        foreach (var slice in sweep)
        {
            var throughput = new JsonArray();
            foreach (var level in (int[])[6, 1])
            {
                var t = Pinned.Run(Pinned.Cores.Ac, () => DeflateSliceBench.Measure(level, slice, settings.Phase * 2), out _);
                progress.WriteLine($"qos: deflate level {level}, slice {slice} B: {t["sliced_mb_per_second"]} MB/s sliced vs {t["one_shot_mb_per_second"]} one-shot ({t["sliced_vs_one_shot"]}x; median of op pairs {t["sliced_vs_one_shot_median_of_pairs"]}x)");
                throughput.Add(t);
            }
            progress.WriteLine($"qos: {hog.Name}, slice {slice} B");
            var tail = await RunCase(hog, settings with { DeflateSliceBytes = slice }, progress);
            rows.Add(new JsonObject
            {
                ["slice_bytes"] = slice,
                ["throughput"] = throughput,
                ["victim_p50_with_qos_us"] = tail["victim_p50_with_qos_us"]!.GetValue<double>(),
                ["victim_p99_alone_us"] = tail["victim_p99_alone_us"]!.GetValue<double>(),
                ["victim_p99_with_hog_us"] = tail["victim_p99_with_hog_us"]!.GetValue<double>(),
                ["victim_p99_with_qos_us"] = tail["victim_p99_with_qos_us"]!.GetValue<double>(),
                ["victim_p99_with_qos_vs_alone"] = tail["victim_p99_with_qos_vs_alone"]!.GetValue<double>(),
                ["hog_rate_vs_peak"] = tail["hog_rate_vs_peak"]!.GetValue<double>(),
                ["victim_p99_with_qos_explanation"] = tail["victim_p99_with_qos_explanation"]!.GetValue<string>(),
            });
        }
        return new JsonObject
        {
            ["op_bytes"] = DeflateSliceBench.OpBytes,
            ["rule"] = "default: the smallest slice whose sliced throughput stays >= 0.95x one-shot",
            ["rows"] = rows,
        };
    }

    private static async Task<JsonObject> RunCase(Hog hog, Settings settings, TextWriter progress)
    {
        await using var rig = await Rig.Start(hog, settings.DeflateSliceBytes);
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
            // Every phase runs until the victim completed all its ops (rate x phase); "late": posted more than one interval
            // behind schedule (the one before was still waiting), so the phase ran longer than planned.
            ["victim_ops"] = new JsonObject
            {
                ["due"] = VictimOpsDue(settings),
                ["alone"] = alone.Victim.Ops,
                ["with_hog"] = roundRobin.Victim.Ops,
                ["with_qos"] = qos.Victim.Ops,
            },
            ["victim_ops_late"] = new JsonObject
            {
                ["alone"] = alone.Victim.Late,
                ["with_hog"] = roundRobin.Victim.Late,
                ["with_qos"] = qos.Victim.Late,
            },
            ["victim_phase_seconds"] = new JsonObject
            {
                ["alone"] = Round(alone.Victim.Seconds, 3),
                ["with_hog"] = Round(roundRobin.Victim.Seconds, 3),
                ["with_qos"] = Round(qos.Victim.Seconds, 3),
            },
            ["hog_bytes_per_second_round_robin"] = Round(roundRobin.HogBytesPerSecond),
            ["hog_peak_bytes_per_second"] = peak,
            ["hog_bytes_per_second_with_qos"] = Round(qos.HogBytesPerSecond),
            ["hog_rate_vs_peak"] = Round(qos.HogBytesPerSecond / peak, 4),
            ["hog_throttled_ms"] = Round(hogStats.ThrottledNanos / 1e6),
            ["victim_p99_with_qos_explanation"] = Explain(qos.Tail),
            ["victim_tail_alone"] = alone.Tail,
            ["victim_tail_with_hog"] = roundRobin.Tail,
            ["victim_tail_with_qos"] = qos.Tail,
        };
    }

    /// <summary>Two saturating 16 KiB AES-GCM queues: bytes/s of both under round-robin, then weighted 3:1.</summary>
    private static async Task<JsonObject> RunTotal(Settings settings)
    {
        var hog = Hogs[0];
        await using var rig = await Rig.Start(hog, settings.DeflateSliceBytes, secondHog: true);
        var roundRobin = rig.Saturate(settings.Phase);
        await rig.Engine.SetServiceLevel("hog", QueueServiceLevel.BestEffort with { Weight = 3 });
        await rig.Engine.SetServiceLevel("victim", QueueServiceLevel.BestEffort with { Weight = 1 });
        var weighted = rig.Saturate(settings.Phase);
        var rrTotal = roundRobin.A + roundRobin.B;
        var wTotal = weighted.A + weighted.B;
        return new JsonObject
        {
            ["queues"] = "two saturating 16 KiB AES-GCM queues, 1024-entry rings",
            ["round_robin_bytes_per_second"] = Round(rrTotal),
            ["weighted_bytes_per_second"] = Round(wTotal),
            ["total_vs_round_robin"] = Round(wTotal / rrTotal, 4),
            ["weighted_share_of_weight_3"] = Round(weighted.A / wTotal, 4),
            ["round_robin_share"] = Round(roundRobin.A / rrTotal, 4),
        };
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Says where the victim's slowest ops (at or above its p99 with service levels) spent their time.</summary>
    private static string Explain(JsonObject tail)
    {
        var n = tail["ops_at_or_above_p99"]!.GetValue<int>();
        var offCore = tail["guest_thread_off_its_core"]!.GetValue<int>();
        var inRing = tail["waiting_in_the_ring_for_the_ac"]!.GetValue<int>();
        var inAc = tail["in_the_ac_or_device"]!.GetValue<int>();
        var inRingLong = tail["waiting_in_the_ring_1ms_or_more"]!.GetValue<int>();
        var where = offCore * 2 >= n ? "OS scheduling: the victim's guest thread was off its core for half the op or more"
            : inRing * 2 >= n && inRingLong * 2 >= inRing ? "OS scheduling: waiting in the ring 1 ms or more, far longer than any visit of the hog (one op or slice), so the AC worker was off its core"
            : inRing * 2 >= n ? "waiting in the ring for the AC to take it (the worker serving the hog, or off its core)"
            : "in the AC or the device after the AC took it";
        return $"{where} ({offCore} off core, {inRing} in the ring ({inRingLong} of them 1 ms or more), {inAc} in the AC of the {n} ops at or above p99; " +
            $"{Environment.ProcessorCount} cpus, load average {LoadAverage()})";
    }

    private static long VictimOpsDue(Settings settings) => Math.Max(1, (long)Math.Round(settings.VictimRate * settings.Phase.TotalSeconds));

    private static double Round(double value, int digits = 1) => double.IsFinite(value) ? Math.Round(value, digits) : -1;

    private sealed record Phase(double P50, double P99, VictimRun Victim, double HogBytesPerSecond, JsonObject Tail);

    /// <summary>What the victim did in one phase: ops completed (all it was due), how many went out behind schedule, and the phase's length.</summary>
    private sealed record VictimRun(long Ops, long Late, double Seconds);

    /// <summary>
    /// A wait in the ring this long is not the AC's order of service: a visit of the hog lasts a few 16 KiB AES-GCM ops
    /// (10-30 us) or one deflate slice (about 20 us), and the latency queue is visited first every round; the worker was
    /// off its core.
    /// </summary>
    private const long LongRingWaitNanos = 1_000_000;

    /// <summary>Per-op timestamps of the victim (preallocated: nothing allocated while timing).</summary>
    private sealed class OpTrace(int capacity)
    {
        private readonly long[] _latency = new long[capacity];
        private readonly long[] _offCore = new long[capacity];
        private readonly long[] _inRing = new long[capacity];
        private int _count;

        public void Add(long latency, long longestGap, long untilTaken)
        {
            if (_count < _latency.Length)
            {
                _latency[_count] = latency;
                _offCore[_count] = longestGap;
                _inRing[_count] = untilTaken;
                _count++;
            }
        }

        /// <summary>
        /// Where the ops at or above <paramref name="threshold"/> ns spent their time: the guest thread off its core (its
        /// wait loop stalled for half the op or more), the op waiting in the ring for the AC to take it, or in the AC and
        /// device after that.
        /// </summary>
        public JsonObject Tail(long threshold)
        {
            int n = 0, offCore = 0, inRing = 0, inRingLong = 0, inAc = 0;
            long worst = 0;
            for (var i = 0; i < _count; i++)
            {
                if (_latency[i] < threshold)
                {
                    continue;
                }
                n++;
                worst = Math.Max(worst, _latency[i]);
                if (_offCore[i] * 2 >= _latency[i])
                {
                    offCore++;
                }
                else if (_inRing[i] * 2 >= _latency[i])
                {
                    inRing++;
                    inRingLong += _inRing[i] >= LongRingWaitNanos ? 1 : 0;
                }
                else
                {
                    inAc++;
                }
            }
            return new JsonObject
            {
                ["ops_at_or_above_p99"] = n,
                ["guest_thread_off_its_core"] = offCore,
                ["waiting_in_the_ring_for_the_ac"] = inRing,
                ["waiting_in_the_ring_1ms_or_more"] = inRingLong,
                ["in_the_ac_or_device"] = inAc,
                ["worst_us"] = Round(worst / 1000.0),
            };
        }
    }

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

        public static async Task<Rig> Start(Hog hog, int deflateSliceBytes, bool secondHog = false)
        {
            // A generous op deadline: on a loaded shared machine a 64 KiB deflate behind a burst of them can take long.
            var engine = new AccelerationEngine(new EngineOptions
            {
                Workers = 1, Cores = [Pinned.Cores.Ac], Nice = Pinned.Nice, Queue = QueueOptions.Default with { OpDeadline = TimeSpan.FromSeconds(10) },
            });
            var rig = new Rig(hog, engine);
            // Two saturating queues get deep rings: a guest off its core for a time slice must not let its ring run dry,
            // or the share measured is the OS's, not the scheduler's.
            var entries = secondHog ? 1024 : 64;
            var hogGeometry = new ChannelGeometry(entries, entries, 34, 2 * hog.Size + 4096);
            var victimPath = rig.NewPath();
            var hogPath = rig.NewPath();
            await engine.AddQueue("victim", ChannelFile.Create(victimPath, secondHog ? hogGeometry : new ChannelGeometry(8, 8, 4, 4096)),
                GDriverCatalog.Create(secondHog ? hog.Function : "aes-256-gcm", deflateSliceBytes: deflateSliceBytes), worker: 0);
            await engine.AddQueue("hog", ChannelFile.Create(hogPath, hogGeometry), GDriverCatalog.Create(hog.Function, deflateSliceBytes: deflateSliceBytes), worker: 0);
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

        /// <summary>
        /// The victim for one phase, the hog flooding meanwhile when asked; both guests on the guest core, the AC worker
        /// alone on its own. The hog's rate is what the AC took from its ring while the victim was timed.
        /// </summary>
        public Phase Measure(Settings settings, bool hogRunning)
        {
            using var stop = new CancellationTokenSource();
            var hogThread = hogRunning
                ? new Thread(() =>
                {
                    Pinned.PinHere(Pinned.Cores.Guest);
                    Flood(_hogGuest, _hogSession, _hog.Size, stop.Token);
                }) { IsBackground = true, Name = "bench-qos-hog" }
                : null;
            hogThread?.Start();
            // Let the hog fill its ring and the worker settle before timing (a warm-up, not a synchronization).
            Thread.Sleep(200);
            var histogram = new LongHistogram(10_000_000_000L, 3);
            var trace = new OpTrace((int)VictimOpsDue(settings));
            var hogBefore = Engine.GetCounters("hog")!.BytesIn;
            var clock = Stopwatch.StartNew();
            var victim = Pinned.Run(Pinned.Cores.Guest, () => Victim(settings, histogram, trace), out _);
            var seconds = clock.Elapsed.TotalSeconds;
            var hogBytes = Engine.GetCounters("hog")!.BytesIn - hogBefore;
            stop.Cancel();
            hogThread?.Join();
            var p99 = histogram.GetValueAtPercentile(99);
            return new Phase(histogram.GetValueAtPercentile(50) / 1000.0, p99 / 1000.0, victim with { Seconds = seconds }, hogRunning ? hogBytes / seconds : 0, trace.Tail(p99));
        }

        /// <summary>
        /// Both queues flooding (the "victim" queue carries hog-sized ops here), each guest on the guest core: bytes/s of
        /// each as the AC counted them over the phase, after both were served.
        /// </summary>
        public (double A, double B) Saturate(TimeSpan phase)
        {
            using var stop = new CancellationTokenSource();
            var ta = new Thread(() =>
            {
                Pinned.PinHere(Pinned.Cores.Guest);
                Flood(_hogGuest, _hogSession, _hog.Size, stop.Token);
            }) { IsBackground = true };
            var tb = new Thread(() =>
            {
                Pinned.PinHere(Pinned.Cores.Guest);
                Flood(_victim, _secondSession, _hog.Size, stop.Token, inSlot: 1);
            }) { IsBackground = true };
            ta.Start();
            tb.Start();
            long a0 = Engine.GetCounters("hog")!.BytesIn, b0 = Engine.GetCounters("victim")!.BytesIn;
            var warm = Stopwatch.StartNew();
            while ((Engine.GetCounters("hog")!.BytesIn == a0 || Engine.GetCounters("victim")!.BytesIn == b0) && warm.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(1);
            }
            a0 = Engine.GetCounters("hog")!.BytesIn;
            b0 = Engine.GetCounters("victim")!.BytesIn;
            var clock = Stopwatch.StartNew();
            Thread.Sleep(phase);
            var a = Engine.GetCounters("hog")!.BytesIn - a0;
            var b = Engine.GetCounters("victim")!.BytesIn - b0;
            var seconds = clock.Elapsed.TotalSeconds;
            stop.Cancel();
            ta.Join();
            tb.Join();
            return (a / seconds, b / seconds);
        }

        /// <summary>
        /// One 64 B seal at a time, paced at the victim rate, until all the phase's ops (rate x phase) completed: an op that
        /// waited long delays the next ones (posted at once, counted late), it does not drop them. Each op is timed from
        /// submission to its completion, with the longest gap between two passes of its wait loop (the guest thread off
        /// its core) and when the AC took it from the ring. The victim waits as a guest woken by its device would: it
        /// spins 50 us, then sleeps in 20 us steps (a timer wakes it and it preempts a neighbour that kept spinning on the
        /// core, where a yield would queue it behind that neighbour for the rest of its time slice); between ops, paced
        /// by a timer, it sleeps until 20 us before the next is due.
        /// </summary>
        private VictimRun Victim(Settings settings, LongHistogram histogram, OpTrace trace)
        {
            var d = new SubmissionDescriptor
            {
                Op = OpCode.Forward, Session = _victimSession, InSlot = 1, InLength = 64, OutSlot = 2, OutCapacity = 64 + 16,
            };
            BenchCase.Nonce.CopyTo(d.Param);
            var interval = Stopwatch.Frequency / settings.VictimRate;
            var spin = Stopwatch.Frequency / 20_000; // 50 us
            var margin = Stopwatch.Frequency / 50_000; // 20 us
            var due = VictimOpsDue(settings);
            Sleep.Precise();
            var next = Stopwatch.GetTimestamp();
            long ops = 0, late = 0;
            var timeout = TimeSpan.FromSeconds(10);
            var phaseLimit = Stopwatch.GetTimestamp() + (long)(Math.Max(30, settings.Phase.TotalSeconds * 10) * Stopwatch.Frequency);
            while (ops < due)
            {
                if (Stopwatch.GetTimestamp() > phaseLimit)
                {
                    throw new TimeoutException($"the victim completed only {ops} of {due} ops in ten times the phase");
                }
                var behind = Stopwatch.GetTimestamp() - next;
                if (behind > interval)
                {
                    late++;
                }
                long left;
                while ((left = next - Stopwatch.GetTimestamp()) > 0)
                {
                    if (left > margin + spin)
                    {
                        Sleep.Micros((left - margin) * 1_000_000 / Stopwatch.Frequency);
                    }
                    else
                    {
                        Thread.SpinWait(20);
                    }
                }
                d.Tag = (ulong)ops;
                var start = Stopwatch.GetTimestamp();
                if (!_victim.TrySubmit(d))
                {
                    throw new InvalidOperationException("the victim's ring is full: a completion went missing");
                }
                CompletionEntry c;
                var last = start;
                var gap = 0L;
                var taken = 0L;
                while (!_victim.TryPoll(out c))
                {
                    var now = Stopwatch.GetTimestamp();
                    gap = Math.Max(gap, now - last - (now - start > spin ? SleepStepTicks : 0));
                    last = now;
                    if (taken == 0 && _victim.PendingSubmissions == 0)
                    {
                        taken = now;
                    }
                    if (now - start > spin)
                    {
                        Sleep.Micros(SleepStepMicros);
                    }
                    if (Stopwatch.GetElapsedTime(start) > timeout)
                    {
                        throw new TimeoutException("the victim's op was not answered within 10 s");
                    }
                }
                var done = Stopwatch.GetTimestamp();
                gap = Math.Max(gap, done - last - (done - start > spin ? SleepStepTicks : 0));
                var nanos = (long)Stopwatch.GetElapsedTime(start, done).TotalNanoseconds;
                if (c.Status != OpStatus.Ok)
                {
                    throw new InvalidOperationException($"the victim's op failed: {c.Status}");
                }
                histogram.RecordValue(Math.Max(1, nanos));
                trace.Add(nanos, Nanos(gap), taken == 0 ? nanos : Nanos(taken - start));
                ops++;
                // Behind schedule: the next op goes at once, the ones after keep their times.
                next = Math.Max(next + interval, Stopwatch.GetTimestamp() - interval);
            }
            return new VictimRun(ops, late, 0);
        }

        private const int SleepStepMicros = 20;

        /// <summary>A sleep step's own length does not count as the thread being off its core.</summary>
        private static readonly long SleepStepTicks = Stopwatch.Frequency * SleepStepMicros / 1_000_000 * 3;

        private static long Nanos(long ticks) => (long)(ticks * 1e9 / Stopwatch.Frequency);

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
            // A guest with a full ring and nothing answered waits the s-API's way (spin 50 us, yield, then sleep): a
            // throttled hog sleeps instead of spinning on the core its neighbour needs.
            var backoff = new SpinThenSleep();
            while (!stop.IsCancellationRequested)
            {
                var posted = g.SubmitBatch(batch);
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
                if (n + posted == 0)
                {
                    backoff.Pause();
                }
                else
                {
                    backoff.Reset();
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

/// <summary>Sub-millisecond sleeps (Thread.Sleep rounds up to a millisecond): what a guest's timer or interrupt wait is.</summary>
internal static partial class Sleep
{
    public static void Micros(long micros) => _ = usleep((uint)Math.Clamp(micros, 1, 1_000_000));

    /// <summary>The calling thread's sleeps end on time (timer slack 1 ns instead of Linux's 50 us), as a latency-sensitive guest sets it.</summary>
    public static void Precise() => _ = prctl(PrSetTimerSlack, 1, 0, 0, 0);

    private const int PrSetTimerSlack = 29;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int usleep(uint micros);
}
