using Fabric.Dataplane.Engine.Scheduling;
using Xunit.Abstractions;

namespace Fabric.Dataplane.Tests.Engine.Scheduling;

/// <summary>The scheduling properties of issue 19, on a deterministic clock (<see cref="SimulatedWorker"/>).</summary>
public class ServiceSchedulerTests(ITestOutputHelper output)
{
    private const long Ms = 1_000_000;
    private const long Second = 1_000_000_000;

    private static QueueServiceLevel Weighted(int weight, QueueClass c = QueueClass.Bulk) => QueueServiceLevel.BestEffort with { Weight = weight, Class = c };

    [Fact]
    public void Saturating_queues_share_the_worker_by_weight_within_5_percent()
    {
        var queues = new[]
        {
            new SimQueue("w1", 1_000, 64, Weighted(1)),
            new SimQueue("w2", 1_000, 64, Weighted(2)),
            new SimQueue("w4", 1_000, 64, Weighted(4)),
        };
        var worker = new SimulatedWorker(queues);
        worker.RunUntil(1 * Second);

        var total = queues.Sum(q => q.ServiceNanos);
        foreach (var (q, expected) in queues.Zip(new[] { 1 / 7.0, 2 / 7.0, 4 / 7.0 }))
        {
            var share = q.ServiceNanos / (double)total;
            output.WriteLine($"{q.Name}: share {share:F4}, expected {expected:F4}, ops {q.Ops}");
            Assert.InRange(share, expected * 0.95, expected * 1.05);
        }
        // And the published share says the same.
        Assert.InRange(worker.Published(2).Share, 4 / 7.0 * 0.95, 4 / 7.0 * 1.05);
    }

    [Fact]
    public void Large_ops_get_the_same_service_time_as_small_ops_at_equal_weight_not_the_same_op_count()
    {
        // 64 KiB deflate-like ops of 200 us against 1 us ops: accounting in time, so each gets half the worker.
        var small = new SimQueue("small", 1_000, 64, Weighted(1));
        var large = new SimQueue("large", 200_000, 65_536, Weighted(1));
        var worker = new SimulatedWorker([small, large]);
        worker.RunUntil(2 * Second);

        var share = small.ServiceNanos / (double)(small.ServiceNanos + large.ServiceNanos);
        output.WriteLine($"small share {share:F4} ({small.Ops} ops), large {large.Ops} ops");
        Assert.InRange(share, 0.45, 0.55);
        Assert.True(small.Ops > 100 * large.Ops, $"small {small.Ops} ops vs large {large.Ops}");
    }

    [Fact]
    public void Bytes_are_charged_even_when_the_worker_spends_no_time_on_them()
    {
        // An asynchronous device returns at once: 1 MiB ops that cost the worker 1 us still pay for their bytes
        // (0.1 ns a byte: ~105 us each), so the 1 us queue next to it gets about half the service.
        var async = new SimQueue("async", 1_000, 1 << 20, Weighted(1));
        var sync = new SimQueue("sync", 1_000, 64, Weighted(1));
        var worker = new SimulatedWorker([async, sync]);
        worker.RunUntil(1 * Second);
        output.WriteLine($"async {async.Ops} ops, sync {sync.Ops} ops");
        Assert.True(sync.Ops > 30 * async.Ops, $"sync {sync.Ops} vs async {async.Ops}");
    }

    [Theory]
    [InlineData(10_000, 0, 2_000, 64)]            // ops cap, small ops
    [InlineData(0, 100_000_000, 5_000, 16_384)]   // bytes cap, 16 KiB ops
    [InlineData(5_000, 50_000_000, 3_000, 65_536)] // both (bytes binds: 763 ops/s)
    public void A_capped_queue_never_exceeds_its_peak_over_any_window_and_reaches_it(long peakOps, long peakBytes, long opNanos, long opBytes)
    {
        var capped = new SimQueue("capped", opNanos, opBytes, QueueServiceLevel.BestEffort with { PeakOpsPerSecond = peakOps, PeakBytesPerSecond = peakBytes });
        var neighbour = new SimQueue("neighbour", 1_000, 64, Weighted(1));
        var options = SchedulingOptions.Default;
        var worker = new SimulatedWorker([capped, neighbour], options);
        worker.RunUntil(2 * Second);

        var depth = options.BucketDepth.TotalSeconds;
        foreach (var window in new[] { 1 * Ms, 10 * Ms, 100 * Ms })
        {
            var seconds = window / (double)Second;
            // The bucket's depth plus one op (a visit is admitted while tokens remain) over the rate: never more.
            var maxOps = peakOps > 0 ? peakOps * seconds + Math.Max(1, peakOps * depth) + 1 : double.MaxValue;
            var maxBytes = peakBytes > 0 ? peakBytes * seconds + peakBytes * depth + opBytes : double.MaxValue;
            var (ops, bytes) = MaxInWindow(capped.Served, window);
            output.WriteLine($"window {window / Ms} ms: at most {ops} ops (bound {(peakOps > 0 ? maxOps.ToString("F0") : "none")}), {bytes} B (bound {(peakBytes > 0 ? maxBytes.ToString("F0") : "none")})");
            Assert.True(ops <= maxOps, $"{ops} ops in {window / Ms} ms, peak bound {maxOps:F0}");
            Assert.True(bytes <= maxBytes, $"{bytes} B in {window / Ms} ms, peak bound {maxBytes:F0}");
        }
        // Held to its peak, not below it: the long-run rate within 2 %.
        var rate = Math.Min(peakOps > 0 ? peakOps : double.MaxValue, peakBytes > 0 ? peakBytes / (double)opBytes : double.MaxValue);
        var achieved = capped.Served.Count(s => s.At >= Second) / 1.0;
        output.WriteLine($"second second: {achieved} ops, peak {rate:F0} ops/s; throttled {worker.Published(0).ThrottledNanos / 1e6:F1} ms");
        Assert.InRange(achieved, rate * 0.98, rate * 1.02);
        Assert.True(worker.Published(0).ThrottledNanos > 0, "the capped queue waited for tokens, and it shows");
        // The worker time the cap leaves goes to the neighbour.
        Assert.True(neighbour.ServiceNanos > capped.ServiceNanos, "the neighbour got the rest");
    }

    [Fact]
    public void Large_ops_are_charged_at_admission_so_a_byte_peak_is_exceeded_by_at_most_one_op()
    {
        // Every 50 ms the queue posts 200 ops of 64 B then 4 of 256 KiB (21 MB/s, under its 50 MB/s peak): its bucket is
        // full again when each burst comes, and its recent op size is small when the large ones come. Their bytes are
        // charged as the AC takes them (the length is in the descriptor): the bucket runs into debt by one op at most,
        // where an estimate from the recent size let a visit of weight 10 take all four large ops at once (1 MB in 1 ms).
        const long peakBytes = 50_000_000;
        const int small = 200;
        const long large = 256 << 10;
        var capped = new SimQueue("capped", 5_000, 64, QueueServiceLevel.BestEffort with { Weight = 10, PeakBytesPerSecond = peakBytes })
        {
            Backlog = 0,
            SizeOf = i => i % (small + 4) < small ? 64 : large,
        };
        var neighbour = new SimQueue("neighbour", 1_000, 64, Weighted(1));
        var options = SchedulingOptions.Default;
        var worker = new SimulatedWorker([capped, neighbour], options);
        var next = 0L;
        var posted = 0L;
        worker.RunUntil(2 * Second, now =>
        {
            while (next <= now)
            {
                capped.Backlog += small + 4;
                posted += small + 4;
                next += 50 * Ms;
            }
        });

        foreach (var window in new[] { 1 * Ms, 10 * Ms, 100 * Ms, 1000 * Ms })
        {
            var seconds = window / (double)Second;
            var bound = peakBytes * seconds + peakBytes * options.BucketDepth.TotalSeconds + large;
            var (_, bytes) = MaxInWindow(capped.Served, window);
            output.WriteLine($"window {window / Ms} ms: at most {bytes} B, bound {bound:F0} (rate x window + depth + one op)");
            Assert.True(bytes <= bound, $"{bytes} B in {window / Ms} ms, peak bound {bound:F0}");
        }
        // Under its peak on average: all it posted is served, about a burst behind at most.
        Assert.True(capped.Ops >= posted - (small + 4), $"{capped.Ops} of {posted} ops served");
    }

    [Fact]
    public void A_queue_of_1_MiB_ops_is_held_at_its_byte_peak()
    {
        const long peakBytes = 20_000_000;
        var capped = new SimQueue("capped", 5_000, 1 << 20, QueueServiceLevel.BestEffort with { PeakBytesPerSecond = peakBytes });
        var neighbour = new SimQueue("neighbour", 1_000, 64, Weighted(1));
        var options = SchedulingOptions.Default;
        var worker = new SimulatedWorker([capped, neighbour], options);
        worker.RunUntil(3 * Second);

        foreach (var window in new[] { 1 * Ms, 10 * Ms, 100 * Ms, 1000 * Ms })
        {
            var bound = peakBytes * (window / (double)Second) + peakBytes * options.BucketDepth.TotalSeconds + capped.OpBytes;
            var (_, bytes) = MaxInWindow(capped.Served, window);
            Assert.True(bytes <= bound, $"{bytes} B in {window / Ms} ms, peak bound {bound:F0}");
        }
        var achieved = capped.Served.Where(s => s.At >= Second).Sum(s => s.Bytes) / 2.0;
        output.WriteLine($"{achieved / 1e6:F2} MB/s against a peak of {peakBytes / 1e6:F2} MB/s");
        Assert.InRange(achieved, peakBytes * 0.97, peakBytes * 1.03);
    }

    [Fact]
    public void No_queue_starves_whatever_the_weights_and_op_sizes()
    {
        var queues = new[]
        {
            new SimQueue("heavy-huge", 1 * Ms, 1 << 20, Weighted(QueueServiceLevel.MaxWeight)),
            new SimQueue("light-tiny", 500, 64, Weighted(1)),
            new SimQueue("light-mid", 20_000, 16_384, Weighted(1)),
            new SimQueue("latency", 2_000, 64, Weighted(1, QueueClass.Latency)),
        };
        var worker = new SimulatedWorker(queues);
        worker.RunUntil(2 * Second);

        // The longest any queue waits between the starts of two visits (deficit round-robin's bound): a round is at most
        // every queue's credit (2 x weight x quantum) plus one op it may overrun by, and a queue whose op costs more
        // than its quantum earns it over ceil(op / quantum) rounds.
        var quantum = (long)SchedulingOptions.Default.Quantum.TotalNanoseconds;
        var round = queues.Sum(q => 2 * q.Level.Weight * quantum + q.OpNanos + 4 * SimulatedWorker.VisitOverheadNanos) + SimulatedWorker.IdlePassNanos;
        foreach (var q in queues)
        {
            var bound = round * (1 + (q.OpNanos + q.Level.Weight * quantum - 1) / (q.Level.Weight * quantum));
            var gap = q.Visits.Zip(q.Visits.Skip(1), (a, b) => b - a).DefaultIfEmpty(long.MaxValue).Max();
            output.WriteLine($"{q.Name}: {q.Ops} ops, longest gap {gap / 1e3:F0} us");
            Assert.True(q.Ops > 0, $"{q.Name} starved");
            Assert.True(gap <= bound, $"{q.Name} waited {gap} ns between visits, bound {bound}");
        }
    }

    [Fact]
    public void Latency_class_queues_are_visited_first_and_wait_at_most_one_bulk_visit()
    {
        var bulk = new SimQueue("bulk", 20_000, 16_384, Weighted(1));
        var victim = new SimQueue("victim", 1_000, 64, Weighted(1, QueueClass.Latency)) { Backlog = 0 };
        var worker = new SimulatedWorker([bulk, victim]);
        Assert.Equal([1, 0], worker.Scheduler.Order);

        // One victim op posted every 97 us; its wait is from posting to the start of the visit that serves it.
        var posted = new Queue<long>();
        var waits = new List<long>();
        var next = 0L;
        var servedBefore = 0;
        worker.RunUntil(1 * Second, now =>
        {
            for (var i = servedBefore; i < victim.Served.Count; i++)
            {
                waits.Add(victim.Served[i].At - victim.OpNanos - posted.Dequeue());
            }
            servedBefore = victim.Served.Count;
            while (next <= now)
            {
                posted.Enqueue(next);
                victim.Backlog++;
                next += 97_000;
            }
        });
        var worst = waits.Max();
        output.WriteLine($"victim: {waits.Count} ops, worst wait {worst / 1e3:F1} us; bulk {bulk.Ops} ops");
        // One bulk visit is at most one bulk op when its credit (10 us) is below its op cost, plus the overheads.
        Assert.True(waits.Count > 10_000 * 0.9, "the victim was served");
        Assert.True(worst <= bulk.OpNanos + 4 * SimulatedWorker.VisitOverheadNanos + SimulatedWorker.IdlePassNanos, $"worst wait {worst} ns");
    }

    [Fact]
    public void A_visit_that_worked_on_ops_in_the_driver_is_charged_even_when_the_queue_could_take_nothing()
    {
        // A sliced driver (deflate) compresses a slice on every poll of its queue, also while the queue pays debt: those
        // slices are the worker's time and must come off the queue's credit, or a bulk queue of large ops would get its
        // slices for free while indebted.
        var scheduler = new ServiceScheduler(SchedulingOptions.Default, SimulatedWorker.Frequency, 0);
        var lane = scheduler.NewLane(new ServiceCounters(), 0);
        scheduler.Apply(lane, Weighted(1), 0);
        scheduler.Set([lane], 0);
        var grant = scheduler.Grant(lane, backlogged: true, 32, 0);
        Assert.True(grant > 0);
        scheduler.Charge(lane, 1, 65_536, 0, 200_000);
        scheduler.EndRound(200_000);
        Assert.Equal(0, scheduler.Grant(lane, backlogged: true, 32, 200_000)); // in debt: takes nothing new
        var debt = lane.Deficit;

        scheduler.Charge(lane, 0, 0, 0, 20_000); // a reap-only poll with nothing in the driver: free
        Assert.Equal(debt, lane.Deficit);
        scheduler.Charge(lane, 0, 0, 0, 20_000, inDriver: true); // one 20 us slice of the op in the driver
        Assert.Equal(debt - 20_000, lane.Deficit);
    }

    [Fact]
    public void A_committed_rate_is_served_against_a_much_heavier_neighbour()
    {
        var committed = new SimQueue("committed", 2_000, 64, QueueServiceLevel.BestEffort with { CommittedOpsPerSecond = 100_000 });
        var heavy = new SimQueue("heavy", 2_000, 64, Weighted(100));
        var worker = new SimulatedWorker([committed, heavy]);
        worker.RunUntil(1 * Second);
        output.WriteLine($"committed {committed.Ops} ops/s, heavy {heavy.Ops} ops/s");
        // Its weight alone would give it 1/101 of ~490k ops/s (~5k); its commitment gives it 100k.
        Assert.InRange(committed.Ops, 98_000, 110_000);
    }

    [Fact]
    public void Best_effort_queues_leave_the_scheduler_inactive_and_any_level_turns_it_on()
    {
        var scheduler = new ServiceScheduler(SchedulingOptions.Default, SimulatedWorker.Frequency, 0);
        var lanes = new[] { scheduler.NewLane(new ServiceCounters(), 0), scheduler.NewLane(new ServiceCounters(), 0) };
        scheduler.Set(lanes, 0);
        Assert.False(scheduler.Active);
        Assert.False(lanes[0].Published.Scheduled);
        scheduler.Apply(lanes[1], Weighted(3), 0);
        scheduler.Set(lanes, 0);
        Assert.True(scheduler.Active);
        Assert.True(lanes[0].Published.Scheduled);
        Assert.Equal(3, lanes[1].Published.Level.Weight);
    }

    [Theory]
    [InlineData(0, 0, 0, "weight must be 1..1000")]
    [InlineData(1001, 0, 0, "weight must be 1..1000")]
    [InlineData(1, -1, 0, "must not be negative")]
    [InlineData(1, 200, 100, "committed ops/s 200 exceeds the peak 100")]
    public void Levels_that_cannot_be_applied_say_why(int weight, long committedOps, long peakOps, string problem)
    {
        var level = new QueueServiceLevel(weight, committedOps, peakOps, 0, 0, QueueClass.Bulk);
        Assert.Contains(problem, level.Problem());
        Assert.Null(QueueServiceLevel.BestEffort.Problem());
    }

    [Fact]
    public void Placement_puts_bulk_where_the_least_weight_is_and_latency_away_from_bulk()
    {
        WorkerLoad[] loads =
        [
            new(0, Weight: 5, LatencyQueues: 0, BulkWeight: 5),
            new(1, Weight: 4, LatencyQueues: 3, BulkWeight: 1),
            new(2, Weight: 4, LatencyQueues: 2, BulkWeight: 2),
        ];
        Assert.Equal(1, WorkerPlacement.Choose(loads, QueueClass.Bulk));
        Assert.Equal(1, WorkerPlacement.Choose(loads, QueueClass.Latency));
        Assert.Equal(2, WorkerPlacement.Choose([loads[0], loads[2] with { BulkWeight = 1 }, loads[1] with { Worker = 3 }], QueueClass.Latency));
        // Only best-effort queues: the fewest queues, lowest index on a tie (the old rule).
        Assert.Equal(0, WorkerPlacement.Choose([new(0, 2, 0, 2), new(1, 2, 0, 2)], QueueClass.Bulk));
    }

    private static (long Ops, long Bytes) MaxInWindow(List<(long At, long Bytes)> served, long window)
    {
        long bestOps = 0, bestBytes = 0, bytes = 0;
        var start = 0;
        for (var end = 0; end < served.Count; end++)
        {
            bytes += served[end].Bytes;
            while (served[end].At - served[start].At >= window)
            {
                bytes -= served[start].Bytes;
                start++;
            }
            bestOps = Math.Max(bestOps, end - start + 1);
            bestBytes = Math.Max(bestBytes, bytes);
        }
        return (bestOps, bestBytes);
    }
}
