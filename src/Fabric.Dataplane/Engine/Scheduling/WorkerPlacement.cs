namespace Fabric.Dataplane.Engine.Scheduling;

/// <summary>What a worker already serves, as placement sees it.</summary>
/// <param name="Weight">Sum of the weights of its queues (a best-effort queue counts 1).</param>
/// <param name="LatencyQueues">Latency-class queues on it.</param>
/// <param name="BulkWeight">Sum of the weights of its bulk queues.</param>
public readonly record struct WorkerLoad(int Worker, long Weight, int LatencyQueues, long BulkWeight);

/// <summary>Which worker takes a new queue: by load, and by class (pure; the engine gives it the loads).</summary>
public static class WorkerPlacement
{
    /// <summary>
    /// A bulk queue goes where the least weight is (with only best-effort queues: the fewest queues, as before); a
    /// latency queue goes where the least bulk weight is, since bulk neighbours are what delays it, then the fewest
    /// latency queues (they share the head of every round), then the least weight. Ties: the lowest worker index.
    /// </summary>
    public static int Choose(IReadOnlyList<WorkerLoad> workers, QueueClass queueClass)
    {
        if (workers.Count == 0)
        {
            throw new ArgumentException("no workers to place on", nameof(workers));
        }
        var best = workers[0];
        for (var i = 1; i < workers.Count; i++)
        {
            if (Better(workers[i], best, queueClass))
            {
                best = workers[i];
            }
        }
        return best.Worker;
    }

    private static bool Better(WorkerLoad a, WorkerLoad b, QueueClass queueClass) =>
        queueClass == QueueClass.Latency
            ? (a.BulkWeight, a.LatencyQueues, a.Weight, a.Worker).CompareTo((b.BulkWeight, b.LatencyQueues, b.Weight, b.Worker)) < 0
            : (a.Weight, a.Worker).CompareTo((b.Weight, b.Worker)) < 0;
}
