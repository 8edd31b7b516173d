using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Guest;
using HdrHistogram;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// The guest side of the channel measurement, run in its own process (a VM's workload): posts
/// descriptors and reaps completions on its own pinned core while the AC runs the operation on another.
/// </summary>
internal static class ChannelGuest
{
    /// <summary>One channel to drive: path, payload size, depth, output capacity, whether a session is needed, Nop-only.</summary>
    public sealed record Spec(string Path, int Size, int Depth, int OutCapacity, bool Keyed, bool Nop)
    {
        public override string ToString() => string.Join(',', Path, Size, Depth, OutCapacity, Keyed ? 1 : 0, Nop ? 1 : 0);

        public static Spec Parse(string text)
        {
            var p = text.Split(',');
            return new Spec(p[0], Int(p[1]), Int(p[2]), Int(p[3]), p[4] == "1", p[5] == "1");
        }

        private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
    }

    /// <summary>Runs every spec in turn and writes one JSON line per spec to stdout.</summary>
    public static int Run(IReadOnlyList<string> specs, double seconds, int core)
    {
        ParentWatch.Start();
        var pin = Pinned.PinHere(core);
        Console.Error.WriteLine("guest " + pin);
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = Spec.Parse(specs[i]);
            var figures = RunOne(spec, TimeSpan.FromSeconds(seconds));
            var line = new JsonObject { ["index"] = i, ["figures"] = figures.ToJson(), ["pin"] = pin };
            Console.WriteLine(line.ToJsonString());
            Console.Out.Flush();
        }
        return 0;
    }

    private static Figures RunOne(Spec spec, TimeSpan duration)
    {
        var timeout = TimeSpan.FromSeconds(10);
        using var g = GuestChannel.Open(spec.Path);
        var session = spec.Keyed ? g.OpenSession(BenchCase.Key, 0, timeout) : 0u;
        if (!spec.Nop)
        {
            BenchCase.FillInput(g.Slot(0)[..spec.Size]);
        }
        var descriptors = new SubmissionDescriptor[spec.Depth];
        for (var k = 0; k < descriptors.Length; k++)
        {
            descriptors[k] = spec.Nop
                ? new SubmissionDescriptor { Tag = (ulong)k, Op = OpCode.Nop }
                : new SubmissionDescriptor
                {
                    Tag = (ulong)k,
                    Op = OpCode.Forward,
                    Session = session,
                    InSlot = 0,
                    InLength = (uint)spec.Size,
                    OutSlot = (uint)(1 + k),
                    OutCapacity = (uint)spec.OutCapacity,
                };
            BenchCase.Nonce.CopyTo(descriptors[k].Param);
        }

        Throughput(g, descriptors, TimeSpan.FromMilliseconds(300));
        var sw = Stopwatch.StartNew();
        var (ops, best) = Throughput(g, descriptors, duration);
        var mean = ops / sw.Elapsed.TotalSeconds;
        var histogram = Latency(g, descriptors[0], duration / 2);
        return new Figures(best, mean, histogram.GetValueAtPercentile(50), histogram.GetValueAtPercentile(99), ops, spec.Depth, Report.LatencyDistribution.From("", histogram, 1).Values);
    }

    /// <summary>
    /// Keeps up to Depth ops in flight (descriptor k always uses output slot 1+k) and counts completions
    /// in consecutive windows; returns the total and the rate of the best window.
    /// </summary>
    private static (long Ops, double BestRate) Throughput(GuestChannel g, SubmissionDescriptor[] descriptors, TimeSpan duration)
    {
        var depth = descriptors.Length;
        var completions = new CompletionEntry[depth];
        var windowTicks = (long)(duration.TotalSeconds / Figures.Windows * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();
        var end = start + windowTicks * Figures.Windows;
        var windowStart = start;
        long windowOps = 0;
        double best = 0;
        long done = 0;
        var inflight = 0;
        var next = 0; // index of the next descriptor to post
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (now - windowStart >= windowTicks && now <= end + windowTicks)
            {
                best = Math.Max(best, windowOps * (double)Stopwatch.Frequency / (now - windowStart));
                windowStart = now;
                windowOps = 0;
            }
            var submitting = now < end;
            if (submitting && inflight < depth)
            {
                var want = depth - inflight;
                var first = Math.Min(want, depth - next);
                var posted = g.SubmitBatch(descriptors.AsSpan(next, first));
                if (posted == first && want > first)
                {
                    posted += g.SubmitBatch(descriptors.AsSpan(0, want - first));
                }
                inflight += posted;
                next = (next + posted) % depth;
            }
            var n = g.Poll(completions);
            for (var i = 0; i < n; i++)
            {
                if (completions[i].Status != OpStatus.Ok)
                {
                    throw new InvalidOperationException($"op failed with {completions[i].Status}");
                }
            }
            inflight -= n;
            done += n;
            windowOps += n;
            if (!submitting && inflight == 0)
            {
                return (done, best);
            }
            if (n == 0)
            {
                if (g.State is ChannelState.Closed or ChannelState.Faulted)
                {
                    throw new InvalidOperationException("channel " + g.State);
                }
                // Spin, not yield: a yield on a busy machine can hand the core away for a whole scheduler tick.
                Thread.SpinWait(1);
            }
        }
    }

    /// <summary>One op at a time, busy-polling for its completion: the round trip.</summary>
    private static LongHistogram Latency(GuestChannel g, SubmissionDescriptor descriptor, TimeSpan duration)
    {
        var histogram = new LongHistogram(10_000_000_000L, 3);
        var nanosPerTick = 1e9 / Stopwatch.Frequency;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long spins = 0;
        while (Stopwatch.GetTimestamp() < end)
        {
            var t0 = Stopwatch.GetTimestamp();
            if (!g.TrySubmit(descriptor))
            {
                throw new InvalidOperationException("submission ring full at depth 1");
            }
            CompletionEntry c;
            while (!g.TryPoll(out c))
            {
                if ((++spins & 0xFFFFF) == 0 && g.State is ChannelState.Closed or ChannelState.Faulted)
                {
                    throw new InvalidOperationException("channel " + g.State);
                }
            }
            histogram.RecordValue((long)((Stopwatch.GetTimestamp() - t0) * nanosPerTick));
            if (c.Status != OpStatus.Ok)
            {
                throw new InvalidOperationException($"op failed with {c.Status}");
            }
        }
        return histogram;
    }
}
