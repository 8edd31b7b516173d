using System.Runtime.CompilerServices;

namespace Fabric.Dataplane.Engine.Scheduling;

/// <summary>
/// The service-level scheduler of one AC worker, on an injected clock (ticks at <c>frequency</c> a second), so it runs
/// the same on the worker's Stopwatch and on a test's deterministic clock. Every round the worker asks, lane by lane in
/// <see cref="Order"/> (latency class first), how many ops a queue may take (<see cref="Grant"/>), serves it, and says what
/// that cost (<see cref="Charge"/>):
/// <list type="bullet">
/// <item>peak token buckets (ops/s, bytes/s) gate every visit: a queue without tokens waits, throttled;</item>
/// <item>a queue under its committed rate is served from its committed buckets, ahead of the weighted share;</item>
/// <item>otherwise a deficit round-robin on service time: each round a backlogged queue earns weight x quantum ticks and
/// takes as many ops as that pays for at its recent cost per op; a visit costs the time the worker spent on it, or its
/// bytes at <see cref="SchedulingOptions.NanosPerByte"/> if more, so a queue of large ops earns fewer ops per round and
/// one that overspent skips rounds until it has paid.</item>
/// </list>
/// No locks, no allocation per round: lanes are plain objects of the worker.
/// </summary>
internal sealed class ServiceScheduler
{
    private readonly SchedulingOptions _options;
    private readonly long _frequency;
    private readonly long _quantumTicks;
    private readonly double _ticksPerByte;
    private readonly long _windowTicks;
    private readonly double _nanosPerTick;
    private ServiceLane[] _lanes = [];
    private int[] _order = [];
    private long _windowStart;
    private long _windowServiceTicks;
    private bool _roundGranted;
    private bool _roundIndebted;

    public ServiceScheduler(SchedulingOptions options, long frequency, long now)
    {
        _options = options;
        _frequency = frequency;
        _quantumTicks = Math.Max(1, (long)(options.Quantum.TotalSeconds * frequency));
        _ticksPerByte = options.NanosPerByte * frequency / 1e9;
        _windowTicks = Math.Max(1, (long)(options.Window.TotalSeconds * frequency));
        _nanosPerTick = 1e9 / frequency;
        _windowStart = now;
    }

    /// <summary>False when every lane is best effort: the worker then runs plain round-robin and calls nothing here.</summary>
    public bool Active { get; private set; }

    public ServiceLane[] Lanes => _lanes;

    /// <summary>Lane indices in visiting order: latency class first, then bulk, each in arrival order.</summary>
    public int[] Order => _order;

    public ServiceLane NewLane(ServiceCounters published, long now)
    {
        var lane = new ServiceLane(published);
        Apply(lane, QueueServiceLevel.BestEffort, now);
        return lane;
    }

    /// <summary>The lanes now served, in the worker's queue order (control path: allocates).</summary>
    public void Set(ServiceLane[] lanes, long now)
    {
        _lanes = lanes;
        _order = Enumerable.Range(0, lanes.Length).OrderBy(i => lanes[i].Level.Class == QueueClass.Latency ? 0 : 1).ThenBy(i => i).ToArray();
        var active = lanes.Any(l => !l.Level.IsBestEffort);
        if (Active != active)
        {
            _windowStart = now;
            _windowServiceTicks = 0;
        }
        Active = active;
        Publish(now, 0);
    }

    /// <summary>Puts a new level on a lane: buckets start full, the deficit and averages are kept.</summary>
    public void Apply(ServiceLane lane, QueueServiceLevel level, long now)
    {
        var depth = _options.BucketDepth.TotalSeconds;
        lane.Level = level;
        lane.Quantum = _quantumTicks * level.Weight;
        lane.PeakOps = TokenBucket.Create(level.PeakOpsPerSecond, depth, 1, _frequency, now);
        lane.PeakBytes = TokenBucket.Create(level.PeakBytesPerSecond, depth, 1, _frequency, now);
        lane.CommittedOps = TokenBucket.Create(level.CommittedOpsPerSecond, depth, 1, _frequency, now);
        lane.CommittedBytes = TokenBucket.Create(level.CommittedBytesPerSecond, depth, 1, _frequency, now);
        lane.Published.SetLevel(level);
    }

    /// <summary>
    /// How many ops the lane may take on this visit (0: none; the worker still polls a backlogged queue with 0 to answer
    /// what its device finished). <paramref name="backlogged"/>: the queue has posted or unfinished ops.
    /// </summary>
    public int Grant(ServiceLane lane, bool backlogged, int burst, long now)
    {
        lane.Indebted = false;
        var n = GrantVisit(lane, backlogged, burst, now);
        lane.Granted = n > 0;
        _roundGranted |= n > 0;
        return n;
    }

    private int GrantVisit(ServiceLane lane, bool backlogged, int burst, long now)
    {
        lane.CommittedVisit = false;
        if (!backlogged)
        {
            EndThrottle(lane, now);
            // An idle queue keeps no credit (it would burst later), but pays any debt.
            if (lane.Deficit > 0)
            {
                lane.Deficit = 0;
            }
            return 0;
        }
        lane.PeakOps.Refill(now);
        lane.PeakBytes.Refill(now);
        if (!lane.PeakOps.Admits(1) || !lane.PeakBytes.Admits(0))
        {
            if (lane.ThrottledSince < 0)
            {
                lane.ThrottledSince = now;
            }
            return 0;
        }
        EndThrottle(lane, now);
        int n;
        lane.CommittedOps.Refill(now);
        lane.CommittedBytes.Refill(now);
        if (lane.Level.HasCommitted && lane.CommittedOps.Admits(1) && lane.CommittedBytes.Admits(0))
        {
            lane.CommittedVisit = true;
            n = lane.CommittedOps.Limit(burst, 1);
        }
        else
        {
            // Credit is capped so a queue held back by its ring or its peak cannot hoard rounds.
            lane.Deficit = Math.Min(lane.Deficit + lane.Quantum, 2 * lane.Quantum);
            if (lane.Deficit <= 0)
            {
                lane.Indebted = true;
                _roundIndebted = true;
                return 0;
            }
            n = Afford(lane, burst);
        }
        return PeakLimit(lane, n);
    }

    /// <summary>
    /// More for a queue that took all it was granted and still has credit (a visit is cut in Polls of at most
    /// <paramref name="burst"/>): the same visit goes on, without earning another quantum. 0: the visit is over.
    /// </summary>
    public int GrantMore(ServiceLane lane, int burst, long now)
    {
        lane.PeakOps.Refill(now);
        lane.PeakBytes.Refill(now);
        if (!lane.PeakOps.Admits(1) || !lane.PeakBytes.Admits(0))
        {
            return 0;
        }
        int n;
        if (lane.CommittedVisit)
        {
            lane.CommittedOps.Refill(now);
            lane.CommittedBytes.Refill(now);
            if (!lane.CommittedOps.Admits(1) || !lane.CommittedBytes.Admits(0))
            {
                return 0;
            }
            n = lane.CommittedOps.Limit(burst, 1);
        }
        else
        {
            if (lane.Deficit <= 0 || lane.Deficit < lane.AvgOpTicks)
            {
                return 0;
            }
            n = Afford(lane, burst);
        }
        return PeakLimit(lane, n);
    }

    /// <summary>Ops the deficit pays for at the queue's recent cost; one op until that cost is known.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Afford(ServiceLane lane, int burst)
    {
        if (lane.AvgOpTicks <= 0)
        {
            return 1;
        }
        var afford = lane.Deficit / lane.AvgOpTicks;
        return afford >= burst ? burst : Math.Max(1, (int)afford);
    }

    /// <summary>
    /// Ops the peak ops bucket pays for, and the visit's byte budget: the queue takes data ops while the peak (and, on a
    /// committed visit, the committed) bytes bucket has tokens, each charged its descriptor's length as it is taken, so
    /// the bucket runs into debt by at most one op, whatever the ops' sizes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PeakLimit(ServiceLane lane, int n)
    {
        var budget = lane.PeakBytes.Enabled ? Budget(lane.PeakBytes.Tokens) : long.MaxValue;
        if (lane.CommittedVisit && lane.CommittedBytes.Enabled)
        {
            budget = Math.Min(budget, Budget(lane.CommittedBytes.Tokens));
        }
        lane.ByteBudget = budget;
        return lane.PeakOps.Limit(n, 1);
    }

    private static long Budget(double tokens) => tokens >= long.MaxValue ? long.MaxValue : (long)Math.Ceiling(tokens);

    /// <summary>
    /// What the visit took: <paramref name="ops"/> descriptors and <paramref name="bytes"/> input bytes admitted (taken
    /// from the ring, charged to the buckets as they were taken), <paramref name="answered"/> ops answered (an
    /// asynchronous device's completions may come in a later visit), and the worker's ticks on it.
    /// <paramref name="inDriver"/>: the queue had ops in its driver when the visit began, so the visit may have worked
    /// on them (a sliced driver, <see cref="Drivers.DeflateDriver"/>, compresses a slice per poll).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Charge(ServiceLane lane, long ops, long bytes, long answered, long ticks, bool inDriver = false)
    {
        if (!lane.Granted && ops == 0 && answered == 0 && !inDriver)
        {
            // A throttled or indebted queue's reap-only visit: charging it would sink its deficit a little every
            // round it waits. Async completions it retires are charged (answered > 0), and so is a visit that served
            // ops already in its driver: a sliced op's slices are the worker's time, whatever the queue's credit.
            return;
        }
        var byteCost = (long)(bytes * _ticksPerByte);
        var cost = Math.Max(ticks, byteCost);
        if (ops > 0 && lane.AvgOpTicks > 0)
        {
            // A visit during which the OS took the worker off its core looks like ops that cost milliseconds: charged
            // in full, the queue that happened to hold the worker (the heaviest most often) would pay for the OS and
            // then take one op a visit while its average came down, and weights would drift towards equal (3:1 gave
            // 0.68 on a loaded machine). An op is charged at most twice the recent cost (an op really that much dearer
            // is followed within a few visits), never less than its bytes.
            cost = Math.Max(byteCost, Math.Min(cost, (long)(ops * 2 * lane.AvgOpTicks)));
        }
        if (lane.CommittedVisit)
        {
            lane.CommittedOps.Take(ops);
            lane.CommittedBytes.Take(bytes);
        }
        else
        {
            lane.Deficit -= cost;
        }
        lane.PeakOps.Take(ops);
        lane.PeakBytes.Take(bytes);
        if (ops > 0)
        {
            lane.AvgOpTicks = Average(lane.AvgOpTicks, Math.Max(1.0, cost / (double)ops));
            lane.AvgOpBytes = Average(lane.AvgOpBytes, bytes / (double)ops);
        }
        lane.WindowOps += ops;
        lane.WindowBytes += bytes;
        lane.WindowTicks += cost;
        _windowServiceTicks += cost;
    }

    /// <summary>End of a round: publishes rates, share and tokens once a window has passed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EndRound(long now)
    {
        if (_roundIndebted && !_roundGranted)
        {
            SkipRounds();
        }
        _roundIndebted = false;
        _roundGranted = false;
        var elapsed = now - _windowStart;
        if (elapsed >= _windowTicks)
        {
            Publish(now, elapsed);
        }
    }

    /// <summary>
    /// A round where every queue with work was paying debt served nothing: rather than spin through the empty rounds
    /// (each worth a quantum) until one has paid, credit them all at once, as many rounds as the first needs. Shares are
    /// kept; a worker that was off its core during a visit (charged for it) does not stall afterwards.
    /// </summary>
    private void SkipRounds()
    {
        var rounds = long.MaxValue;
        foreach (var lane in _lanes)
        {
            if (lane.Indebted)
            {
                rounds = Math.Min(rounds, (-lane.Deficit / lane.Quantum) + 1);
            }
        }
        if (rounds == long.MaxValue)
        {
            return;
        }
        foreach (var lane in _lanes)
        {
            if (lane.Indebted)
            {
                lane.Deficit = Math.Min(lane.Deficit + rounds * lane.Quantum, lane.Quantum);
            }
        }
    }

    /// <summary>
    /// Follows a rise at once and a fall slowly: an op larger than the recent ones must not let the next visit overrun
    /// the deficit or the peak by a burst of them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Average(double average, double sample) =>
        sample >= average ? sample : average + (sample - average) / 8;

    /// <summary>Ticks until a throttled lane's peak buckets admit again (0: none is throttled).</summary>
    public long TicksUntilAdmitted(ServiceLane lane) =>
        lane.ThrottledSince < 0 ? 0 : Math.Max(lane.PeakOps.TicksUntil(1), lane.PeakBytes.TicksUntil(0));

    private static void EndThrottle(ServiceLane lane, long now)
    {
        if (lane.ThrottledSince >= 0)
        {
            lane.ThrottledTicks += now - lane.ThrottledSince;
            lane.ThrottledSince = -1;
        }
    }

    private void Publish(long now, long elapsed)
    {
        var seconds = elapsed / (double)_frequency;
        foreach (var lane in _lanes)
        {
            var throttled = lane.ThrottledTicks + (lane.ThrottledSince >= 0 ? now - lane.ThrottledSince : 0);
            lane.PeakOps.Refill(now);
            lane.PeakBytes.Refill(now);
            lane.Published.Publish(
                Active,
                (long)(throttled * _nanosPerTick),
                lane.PeakOps.Enabled ? lane.PeakOps.Tokens : double.NaN,
                lane.PeakBytes.Enabled ? lane.PeakBytes.Tokens : double.NaN,
                seconds > 0 ? lane.WindowOps / seconds : 0,
                seconds > 0 ? lane.WindowBytes / seconds : 0,
                Active && _windowServiceTicks > 0 ? lane.WindowTicks / (double)_windowServiceTicks : double.NaN);
            lane.WindowOps = 0;
            lane.WindowBytes = 0;
            lane.WindowTicks = 0;
        }
        _windowServiceTicks = 0;
        _windowStart = now;
    }
}
