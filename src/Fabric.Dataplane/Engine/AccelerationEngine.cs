using System.Collections.Concurrent;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine.Scheduling;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// The Acceleration Core: worker threads serving channel queues with g-drivers. Every method returns
/// at once (control work runs on the workers between bursts and is answered through tasks), so an
/// actor can call it and pipe the task result back to itself.
/// </summary>
public sealed partial class AccelerationEngine : IDisposable, IAsyncDisposable
{
    private readonly AcWorker[] _workers;
    private readonly ConcurrentDictionary<string, AcQueue> _queues = new(StringComparer.Ordinal);
    private readonly EngineOptions _options;
    private int _stopped;

    public AccelerationEngine(EngineOptions? options = null)
    {
        _options = options ?? new EngineOptions();
        if (_options.Workers < 1)
        {
            throw new ArgumentException($"Workers must be at least 1, was {_options.Workers}", nameof(options));
        }
        if (_options.Burst < 1)
        {
            throw new ArgumentException($"Burst must be at least 1, was {_options.Burst}", nameof(options));
        }
        _workers = new AcWorker[_options.Workers];
        for (var i = 0; i < _workers.Length; i++)
        {
            var core = _options.Cores is { } cores && i < cores.Count ? cores[i] : -1;
            _workers[i] = new AcWorker(i, core, _options);
        }
        foreach (var w in _workers)
        {
            w.Start();
        }
    }

    public EngineOptions Options => _options;

    /// <summary>Completes once every worker has started and tried to pin itself.</summary>
    public Task Started => Task.WhenAll(_workers.Select(w => w.Started));

    public IReadOnlyList<WorkerStatus> Workers => _workers.Select(w => w.Status()).ToArray();

    /// <summary>Creates the channel file of an attachment under <see cref="ChannelFile.DefaultDirectory"/>.</summary>
    public static ChannelFile CreateChannel(string attachmentId, ChannelGeometry? geometry = null) =>
        ChannelFile.Create(ChannelFile.PathFor(attachmentId), geometry ?? ChannelGeometry.Default);

    /// <summary>
    /// Serves <paramref name="channel"/> with <paramref name="driver"/> on a worker (chosen by load and class,
    /// <see cref="WorkerPlacement"/>, unless <paramref name="worker"/> names one), at <paramref name="level"/> (best effort
    /// when null). The engine owns both from now on. The task completes when the worker polls the queue.
    /// </summary>
    public Task AddQueue(string queueId, ChannelFile channel, IGDriver driver, int worker = -1, QueueOptions? options = null, QueueServiceLevel? level = null) =>
        AddQueue(queueId, channel, driver, worker, options, level, feed: null);

    private Task AddQueue(string queueId, ChannelFile channel, IGDriver driver, int worker, QueueOptions? options, QueueServiceLevel? level, IQueueFeed? feed)
    {
        ThrowIfStopped();
        if (worker >= _workers.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(worker), worker, $"worker must be < {_workers.Length}");
        }
        if (level?.Problem() is { } problem)
        {
            throw new ArgumentException($"service level of queue '{queueId}': {problem}", nameof(level));
        }
        var queue = new AcQueue(queueId, channel, driver, options ?? _options.Queue, _options.QueueFaulted);
        queue.DriverFaulted = _options.DriverFaulted;
        queue.Feed = feed;
        if (!_queues.TryAdd(queueId, queue))
        {
            throw new InvalidOperationException($"queue '{queueId}' already exists; remove it first or pick another id");
        }
        var target = _workers[worker >= 0 ? worker : WorkerPlacement.Choose(Loads(), (level ?? QueueServiceLevel.BestEffort).Class)];
        target.ReserveQueue();
        if (level is not null)
        {
            // Seen by placement at once; the worker applies it right after the add.
            queue.Counters.Service.SetLevel(level);
        }
        // Set before posting: later commands for this queue must follow the add into the same worker's queue.
        queue.WorkerIndex = target.Index;
        var added = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        target.Post(new AddQueueCommand(queue, added));
        if (level is not null && !level.IsBestEffort)
        {
            var applied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            target.Post(new SetServiceLevelCommand(queue, level, applied));
            return Task.WhenAll(added.Task, applied.Task);
        }
        return added.Task;
    }

    /// <summary>
    /// Serves a queue at <paramref name="level"/> from its worker's next round on, without reopening its channel. The
    /// task completes once the worker applied it. Throws ArgumentException for a level that cannot be applied and
    /// KeyNotFoundException for an unknown queue.
    /// </summary>
    public Task SetServiceLevel(string queueId, QueueServiceLevel level)
    {
        ThrowIfStopped();
        ArgumentNullException.ThrowIfNull(level);
        if (level.Problem() is { } problem)
        {
            throw new ArgumentException($"service level of queue '{queueId}': {problem}", nameof(level));
        }
        if (!_queues.TryGetValue(queueId, out var queue))
        {
            throw new KeyNotFoundException($"no queue '{queueId}' on this engine");
        }
        var applied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _workers[queue.WorkerIndex].Post(new SetServiceLevelCommand(queue, level, applied));
        return applied.Task;
    }

    /// <summary>Each worker's load as placement sees it, from the queues placed so far (their levels as last asked).</summary>
    private WorkerLoad[] Loads()
    {
        var loads = new WorkerLoad[_workers.Length];
        for (var i = 0; i < loads.Length; i++)
        {
            loads[i] = new WorkerLoad(i, 0, 0, 0);
        }
        foreach (var q in _queues.Values)
        {
            if (q.WorkerIndex < 0 || q.WorkerIndex >= loads.Length || q.HasRemovalPending)
            {
                continue;
            }
            var level = q.Counters.Service.Level;
            var l = loads[q.WorkerIndex];
            loads[q.WorkerIndex] = level.Class == QueueClass.Latency
                ? l with { Weight = l.Weight + level.Weight, LatencyQueues = l.LatencyQueues + 1 }
                : l with { Weight = l.Weight + level.Weight, BulkWeight = l.BulkWeight + level.Weight };
        }
        return loads;
    }

    /// <summary>
    /// Stops taking new work on a queue: descriptors already posted are still served (with completions)
    /// until the ring is empty or <paramref name="drainTimeout"/> passes, then the channel is marked Closed,
    /// its sessions wiped and, when <paramref name="deleteChannel"/>, its file unmapped and deleted.
    /// </summary>
    public async Task<QueueRemoval> RemoveQueueAsync(string queueId, TimeSpan drainTimeout, bool deleteChannel = true)
    {
        if (!_queues.TryGetValue(queueId, out var queue))
        {
            throw new KeyNotFoundException($"no queue '{queueId}' on this engine");
        }
        var removed = new TaskCompletionSource<QueueRemoval>(TaskCreationOptions.RunContinuationsAsynchronously);
        var earlier = Interlocked.CompareExchange(ref queue.RemovalRequest, removed, null);
        if (earlier is not null)
        {
            // Removal already under way (a retried request): share its outcome.
            return await earlier.Task.ConfigureAwait(false);
        }
        var worker = _workers[queue.WorkerIndex];
        worker.Post(new RemoveQueueCommand(queue, drainTimeout, removed));
        var result = await removed.Task.ConfigureAwait(false);
        _queues.TryRemove(queueId, out _);
        queue.Driver.Dispose();
        queue.ArmStandby(null, null)?.Dispose(); // the worker is done with the queue
        queue.Feed?.Dispose();
        if (deleteChannel)
        {
            queue.Channel.DisposeAndDelete();
        }
        else
        {
            queue.Channel.Dispose();
        }
        return result;
    }

    /// <summary>
    /// Puts <paramref name="driver"/> behind a queue between two bursts; sessions are rebuilt on it from
    /// the AC's copy of their keys, so the guest notices nothing. Returns the previous driver, which the
    /// caller disposes (it may be a faulty device frontend to reset).
    /// </summary>
    public Task<IGDriver> SwapDriverAsync(string queueId, IGDriver driver)
    {
        ThrowIfStopped();
        if (!_queues.TryGetValue(queueId, out var queue))
        {
            throw new KeyNotFoundException($"no queue '{queueId}' on this engine");
        }
        var swapped = new TaskCompletionSource<IGDriver>(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = _workers[queue.WorkerIndex];
        worker.Post(new SwapDriverCommand(queue, driver, swapped));
        return swapped.Task;
    }

    /// <summary>
    /// Arms a queue with a standby driver (of another device, <paramref name="deviceId"/>): the moment the queue's driver
    /// faults, its worker puts the standby behind it by itself and signals the switch (<see cref="DriverFailover"/>).
    /// Null disarms. Returns the standby it replaces, which the caller disposes; fails for a queue no longer served
    /// (then <paramref name="standby"/> stays the caller's).
    /// </summary>
    public Task<IGDriver?> ArmStandbyAsync(string queueId, IGDriver? standby, string? deviceId)
    {
        ThrowIfStopped();
        if (!_queues.TryGetValue(queueId, out var queue))
        {
            throw new KeyNotFoundException($"no queue '{queueId}' on this engine");
        }
        var armed = new TaskCompletionSource<IGDriver?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _workers[queue.WorkerIndex].Post(new ArmStandbyCommand(queue, standby, deviceId, armed));
        return armed.Task;
    }

    /// <summary>Counters of one queue, read while the worker runs; null for an unknown id.</summary>
    public QueueStats? GetStats(string queueId) => _queues.TryGetValue(queueId, out var q) ? Read(q) : null;

    public IReadOnlyList<QueueStats> GetAllStats() => _queues.Values.Select(Read).ToArray();

    /// <summary>The live counters object of a queue (no snapshot; for polling from benches and tests).</summary>
    public QueueCounters? GetCounters(string queueId) => _queues.TryGetValue(queueId, out var q) ? q.Counters : null;

    private static QueueStats Read(AcQueue q)
    {
        var c = q.Counters;
        var latency = c.Latency.Snapshot();
        return new QueueStats(
            q.Id,
            q.Driver.Function,
            q.WorkerIndex,
            q.State,
            c.Ops,
            c.BytesIn,
            c.BytesOut,
            c.Errors,
            c.CountOf(OpStatus.BadDescriptor),
            c.CountOf(OpStatus.DriverFault),
            c.CountOf(OpStatus.DeadlineExceeded),
            c.CqFullStalls,
            latency.Percentile(50),
            latency.Percentile(99),
            latency.Percentile(100),
            q.DriverGeneration,
            q.FaultReason,
            QueueServiceStats.Of(c.Service));
    }

    /// <summary>Stops every worker; their queues are marked Closed (channel files stay until disposed).</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            await Task.WhenAll(_workers.Select(w => w.Stopped)).ConfigureAwait(false);
            return;
        }
        foreach (var w in _workers)
        {
            w.RequestStop();
        }
        await Task.WhenAll(_workers.Select(w => w.Stopped)).ConfigureAwait(false);
        foreach (var q in _queues.Values)
        {
            q.Driver.Dispose();
            q.ArmStandby(null, null)?.Dispose();
            q.Feed?.Dispose();
            q.Channel.Dispose();
        }
        _queues.Clear();
    }

    private void ThrowIfStopped()
    {
        if (Volatile.Read(ref _stopped) != 0)
        {
            throw new ObjectDisposedException(nameof(AccelerationEngine), "the engine is stopped; create a new one");
        }
    }

    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    public ValueTask DisposeAsync() => new(StopAsync());
}
