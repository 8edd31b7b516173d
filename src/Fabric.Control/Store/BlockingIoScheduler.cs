using System.Collections.Concurrent;

namespace Fabric.Control.Store;

/// <summary>
/// A few threads of their own for calls that block on I/O (SQLite's, which has no asynchronous I/O), so that they never
/// hold the .NET thread pool the actors run on. On a 2-core host the pool keeps few threads. When two of them waited
/// in fsync, every actor waited too, until the pool added threads (fabric-bench control: binds stalled 250-350 ms a few
/// times a run).
/// </summary>
public sealed class BlockingIoScheduler : TaskScheduler
{
    private readonly BlockingCollection<Task> _queue = new();
    private readonly int _threads;

    public BlockingIoScheduler(int threads, string name)
    {
        _threads = threads;
        for (var i = 0; i < threads; i++)
        {
            new Thread(Run) { IsBackground = true, Name = $"{name}-{i}" }.Start();
        }
    }

    /// <summary>The threads SQLite's calls run on, in every actor system of this process.</summary>
    public static BlockingIoScheduler Sqlite { get; } = new(4, "sqlite-io");

    public override int MaximumConcurrencyLevel => _threads;

    /// <summary>Runs <paramref name="call"/> on one of these threads.</summary>
    public Task<T> Run<T>(Func<T> call, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(call, cancellationToken, TaskCreationOptions.DenyChildAttach, this);

    protected override void QueueTask(Task task) => _queue.Add(task);

    // Never on the caller's thread: keeping callers free is the point.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void Run()
    {
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }
}
