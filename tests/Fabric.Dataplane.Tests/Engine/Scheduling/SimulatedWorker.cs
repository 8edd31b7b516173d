using Fabric.Dataplane.Engine.Scheduling;

namespace Fabric.Dataplane.Tests.Engine.Scheduling;

/// <summary>A queue in the simulation: ops of a fixed service time and size, posted as the test says.</summary>
internal sealed class SimQueue(string name, long opNanos, long opBytes, QueueServiceLevel level)
{
    public string Name { get; } = name;
    public long OpNanos { get; } = opNanos;
    public long OpBytes { get; } = opBytes;
    public QueueServiceLevel Level { get; } = level;

    /// <summary>Input bytes of the op with this index, when ops differ in size (else <see cref="OpBytes"/>).</summary>
    public Func<long, long>? SizeOf { get; init; }

    public long BytesOf(long index) => SizeOf?.Invoke(index) ?? OpBytes;

    /// <summary>Ops posted and not served; long.MaxValue: always more (a saturating sender).</summary>
    public long Backlog = long.MaxValue;

    /// <summary>(clock at which the op finished, input bytes) of every op served.</summary>
    public List<(long At, long Bytes)> Served { get; } = [];

    public long ServiceNanos;

    /// <summary>Clock at which each visit that served something began.</summary>
    public List<long> Visits { get; } = [];

    public long Ops => Served.Count;
}

/// <summary>
/// An AC worker on a deterministic clock (1 tick = 1 ns): rounds in the scheduler's order, each visit taking as many
/// ops as granted at the queue's own cost plus a fixed visit overhead. Nothing else runs; nothing is measured from
/// the machine.
/// </summary>
internal sealed class SimulatedWorker
{
    public const long Frequency = 1_000_000_000;
    public const long VisitOverheadNanos = 100;
    public const long IdlePassNanos = 200;

    private readonly SimQueue[] _queues;
    private readonly ServiceLane[] _lanes;

    public SimulatedWorker(IReadOnlyList<SimQueue> queues, SchedulingOptions? options = null, int burst = 32)
    {
        _queues = queues.ToArray();
        Burst = burst;
        Scheduler = new ServiceScheduler(options ?? SchedulingOptions.Default, Frequency, 0);
        _lanes = _queues.Select(q => Scheduler.NewLane(new ServiceCounters(), 0)).ToArray();
        for (var i = 0; i < _queues.Length; i++)
        {
            Scheduler.Apply(_lanes[i], _queues[i].Level, 0);
        }
        Scheduler.Set(_lanes, 0);
    }

    public ServiceScheduler Scheduler { get; }

    public int Burst { get; }

    public long Now { get; private set; }

    public ServiceCounters Published(int queue) => _lanes[queue].Published;

    /// <summary>Runs rounds until the clock passes <paramref name="until"/>; <paramref name="arrivals"/> may post ops before each round.</summary>
    public void RunUntil(long until, Action<long>? arrivals = null)
    {
        while (Now < until)
        {
            arrivals?.Invoke(Now);
            var served = false;
            foreach (var i in Scheduler.Order)
            {
                var q = _queues[i];
                var backlogged = q.Backlog > 0;
                var grant = Scheduler.Grant(_lanes[i], backlogged, Burst, Now);
                if (!backlogged)
                {
                    continue;
                }
                if (grant > 0)
                {
                    q.Visits.Add(Now);
                }
                // As the AC worker: Polls of at most a burst, the visit going on while the scheduler grants more.
                while (true)
                {
                    // As AcQueue.Take: ops while the byte budget lasts, each charged its own size as it is taken.
                    var max = Math.Min(grant, q.Backlog);
                    var budget = _lanes[i].ByteBudget;
                    var start = Now;
                    long n = 0, bytes = 0;
                    while (n < max && budget > 0)
                    {
                        var size = q.BytesOf(q.Ops);
                        budget -= size;
                        bytes += size;
                        n++;
                        Now += q.OpNanos;
                        q.Served.Add((Now, size));
                    }
                    Now += VisitOverheadNanos;
                    if (q.Backlog != long.MaxValue)
                    {
                        q.Backlog -= n;
                    }
                    q.ServiceNanos += Now - start;
                    Scheduler.Charge(_lanes[i], n, bytes, n, Now - start);
                    served |= n > 0;
                    if (grant == 0 || n < grant || (grant = Scheduler.GrantMore(_lanes[i], Burst, Now)) == 0)
                    {
                        break;
                    }
                }
            }
            Scheduler.EndRound(Now);
            if (!served)
            {
                Now += IdlePassNanos;
            }
        }
    }
}
