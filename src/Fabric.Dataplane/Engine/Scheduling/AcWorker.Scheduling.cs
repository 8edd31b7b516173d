using System.Diagnostics;
using Fabric.Dataplane.Engine.Scheduling;

namespace Fabric.Dataplane.Engine;

/// <summary>The worker's service-level rounds (docs/service-levels.md); plain round-robin stays in AcWorker.cs.</summary>
internal sealed partial class AcWorker
{
    private readonly Dictionary<AcQueue, ServiceLane> _laneOf = new(ReferenceEqualityComparer.Instance);
    private ServiceScheduler? _schedulerField;
    private AcQueue[]? _scheduledFor;
    private bool _throttled;

    /// <summary>Ticks until the first throttled queue's peak tokens come back (valid while <see cref="_throttled"/>).</summary>
    private long _throttledFor;

    private ServiceScheduler Scheduler => _schedulerField ??= new ServiceScheduler(_options.Scheduling, Stopwatch.Frequency, Stopwatch.GetTimestamp());

    /// <summary>
    /// One round: each queue, latency class first, takes what its tokens and deficit allow and is charged the ticks
    /// it held the worker and the bytes it moved. Two clock reads per visit of a queue with work, nothing allocated.
    /// </summary>
    private int ServeScheduled(AcQueue[] queues, int burst, ref bool draining)
    {
        var scheduler = Scheduler;
        var lanes = scheduler.Lanes;
        var order = scheduler.Order;
        var work = 0;
        var throttled = false;
        var throttledFor = long.MaxValue;
        var now = Stopwatch.GetTimestamp();
        for (var k = 0; k < order.Length; k++)
        {
            var i = order[k];
            var q = queues[i];
            var lane = lanes[i];
            var backlogged = q.HasWork;
            var grant = scheduler.Grant(lane, backlogged, burst, now);
            if (backlogged)
            {
                // Polled even with a grant of 0: what its device finished is still answered.
                var counters = q.Counters;
                while (true)
                {
                    var answered = counters.Ops;
                    var admitted = q.AdmittedOps;
                    var bytes = q.AdmittedBytes;
                    var inDriver = q.InDriver != 0;
                    work += q.Poll(grant, lane.ByteBudget);
                    var after = Stopwatch.GetTimestamp();
                    var done = q.AdmittedOps - admitted;
                    scheduler.Charge(lane, done, q.AdmittedBytes - bytes, counters.Ops - answered, after - now, inDriver);
                    now = after;
                    // A visit longer than one Poll's worth goes on while it has credit and the queue has ops.
                    if (grant == 0 || done < grant || (grant = scheduler.GrantMore(lane, burst, now)) == 0)
                    {
                        break;
                    }
                }
                if (lane.ThrottledSince >= 0)
                {
                    throttled = true;
                    throttledFor = Math.Min(throttledFor, scheduler.TicksUntilAdmitted(lane));
                }
            }
            draining |= q.HasRemovalPending;
        }
        scheduler.EndRound(now);
        _throttled = throttled;
        _throttledFor = throttledFor;
        return work;
    }

    /// <summary>
    /// An idle worker with a throttled queue yields rather than sleeps when that queue's tokens come back sooner than
    /// a sleep would last; a queue capped far below what it posts (tokens milliseconds away) lets it sleep as usual.
    /// </summary>
    private bool TokensDueBeforeSleepEnds(long sleepTicks) => _throttled && _throttledFor < sleepTicks;

    /// <summary>The queue array changed (a queue came or went): lanes follow it, in the same order.</summary>
    private void Reschedule(AcQueue[] queues)
    {
        var now = Stopwatch.GetTimestamp();
        var lanes = new ServiceLane[queues.Length];
        for (var i = 0; i < queues.Length; i++)
        {
            lanes[i] = LaneOf(queues[i], now);
        }
        foreach (var gone in _laneOf.Keys.Where(q => Array.IndexOf(queues, q) < 0).ToList())
        {
            _laneOf.Remove(gone);
        }
        Scheduler.Set(lanes, now);
        _scheduledFor = queues;
        _throttled = false;
    }

    private ServiceLane LaneOf(AcQueue queue, long now)
    {
        if (!_laneOf.TryGetValue(queue, out var lane))
        {
            _laneOf[queue] = lane = Scheduler.NewLane(queue.Counters.Service, now);
        }
        return lane;
    }

    private void ApplyLevel(SetServiceLevelCommand set)
    {
        if (Array.IndexOf(_queues, set.Queue) < 0)
        {
            set.Applied.TrySetException(new InvalidOperationException($"queue {set.Queue.Id} is not served by worker {Index}"));
            return;
        }
        Scheduler.Apply(LaneOf(set.Queue, Stopwatch.GetTimestamp()), set.Level, Stopwatch.GetTimestamp());
        _scheduledFor = null; // order and plain/scheduled mode are worked out again before the next round
        set.Applied.TrySetResult();
    }
}
