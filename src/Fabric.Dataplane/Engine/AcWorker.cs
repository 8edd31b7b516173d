using System.Diagnostics;
using Fabric.Dataplane.Engine.Scheduling;
using Fabric.Dataplane.Native;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// One AC worker: a dedicated thread, pinned where allowed, that polls its queues round-robin in bursts,
/// runs control commands between bursts and backs off (spin, yield, sleep) when every queue is idle.
/// Its queue array is private to the thread and replaced, never mutated, by control commands.
/// </summary>
internal sealed partial class AcWorker
{
    private readonly EngineOptions _options;
    private readonly MpscQueue<ControlCommand> _control = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private AcQueue[] _queues = [];
    private long _loops;
    private long _allocated;
    private int _queueCount;
    private volatile bool _running;
    private volatile string _pinMessage = "starting";
    private volatile bool _pinned;

    public AcWorker(int index, int core, EngineOptions options)
    {
        Index = index;
        Core = core;
        _options = options;
        _thread = new Thread(Run) { IsBackground = true, Name = $"fabric-ac-{index}" };
    }

    public int Index { get; }

    public int Core { get; }

    public int QueueCount => Volatile.Read(ref _queueCount);

    public Task Started => _started.Task;

    public Task Stopped => _stopped.Task;

    public void Start()
    {
        _running = true;
        _thread.Start();
    }

    public void Post(ControlCommand command) => _control.Enqueue(command);

    internal void ReserveQueue() => Interlocked.Increment(ref _queueCount);

    internal void ReleaseQueue() => Interlocked.Decrement(ref _queueCount);

    public WorkerStatus Status() => new(Index, Core, _pinned, _pinMessage, QueueCount, Volatile.Read(ref _loops), Volatile.Read(ref _allocated), _running);

    private void Run()
    {
        if (Core >= 0)
        {
            var problem = ThreadAffinity.PinCurrentThread(Core);
            _pinned = problem is null;
            _pinMessage = problem ?? $"pinned to core {Core}";
        }
        else
        {
            _pinMessage = "not pinned: no core configured";
        }
        if (_options.Nice is { } nice)
        {
            var problem = ThreadAffinity.SetCurrentThreadNice(nice);
            _pinMessage += problem is null ? $", nice {nice}" : "; " + problem;
        }
        _started.TrySetResult();
        try
        {
            Loop();
        }
        finally
        {
            _running = false;
            foreach (var q in _queues)
            {
                q.Close();
            }
            _queues = [];
            // Commands that raced with stop still get an answer.
            while (_control.TryDequeue(out var late))
            {
                Refuse(late!);
            }
            _stopped.TrySetResult();
        }
    }

    private void Loop()
    {
        var burst = _options.Burst;
        var idle = 0;
        var spin = _options.IdleSpinPolls;
        var yieldUntil = spin + _options.IdleYieldPolls;
        var sleepMs = Math.Max(0, (int)_options.IdleSleep.TotalMilliseconds);
        var sleepTicks = Math.Max(1, (long)(_options.IdleSleep.TotalSeconds * Stopwatch.Frequency));
        while (true)
        {
            while (_control.TryDequeue(out var command))
            {
                if (!Handle(command!))
                {
                    return;
                }
            }
            var queues = _queues;
            var work = 0;
            var draining = false;
            if (!ReferenceEquals(queues, _scheduledFor))
            {
                Reschedule(queues);
            }
            if (Scheduler.Active)
            {
                work = ServeScheduled(queues, burst, ref draining);
            }
            else
            {
                for (var i = 0; i < queues.Length; i++)
                {
                    work += queues[i].Poll(burst);
                    draining |= queues[i].HasRemovalPending;
                }
            }
            if (draining)
            {
                FinishDrains();
            }
            var loops = _loops + 1;
            Volatile.Write(ref _loops, loops);
            Volatile.Write(ref _allocated, GC.GetAllocatedBytesForCurrentThread());
            if ((loops & 1023) == 0)
            {
                for (var i = 0; i < queues.Length; i++)
                {
                    queues[i].Beat();
                }
            }
            if (work != 0)
            {
                idle = 0;
                continue;
            }
            idle++;
            if (idle < spin)
            {
                // One short pause per empty poll: a longer one is added straight onto the round trip
                // of the next op the guest posts.
                Thread.SpinWait(1);
            }
            else if (idle < yieldUntil || TokensDueBeforeSleepEnds(sleepTicks))
            {
                // A queue waiting for peak tokens due sooner than a sleep would end: no sleeping past them.
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(sleepMs);
            }
        }
    }

    private bool Handle(ControlCommand command)
    {
        switch (command)
        {
            case AddQueueCommand add:
                add.Queue.Activate();
                _queues = [.. _queues, add.Queue];
                add.Added.TrySetResult();
                return true;
            case RemoveQueueCommand remove:
                if (Array.IndexOf(_queues, remove.Queue) < 0)
                {
                    remove.Removed.TrySetException(new InvalidOperationException($"queue {remove.Queue.Id} is not served by worker {Index}"));
                    return true;
                }
                remove.Queue.BeginDrain(remove.DrainTimeout, remove.Removed);
                FinishDrains();
                return true;
            case SwapDriverCommand swap:
                swap.Swapped.TrySetResult(swap.Queue.Swap(swap.Driver));
                return true;
            case SetServiceLevelCommand set:
                ApplyLevel(set);
                return true;
            case ArmStandbyCommand arm when Array.IndexOf(_queues, arm.Queue) < 0:
                arm.Armed.TrySetException(new KeyNotFoundException($"queue {arm.Queue.Id} is not served by worker {Index}"));
                return true;
            case ArmStandbyCommand arm:
                arm.Armed.TrySetResult(arm.Queue.ArmStandby(arm.Driver, arm.DeviceId));
                return true;
            case StopCommand:
                return false;
            default:
                return true;
        }
    }

    private void FinishDrains()
    {
        var now = Stopwatch.GetTimestamp();
        var queues = _queues;
        for (var i = 0; i < queues.Length; i++)
        {
            var q = queues[i];
            if (q.HasRemovalPending && q.DrainFinished(now))
            {
                q.Close();
                _queues = Array.FindAll(_queues, x => !ReferenceEquals(x, q));
                ReleaseQueue();
            }
        }
    }

    private static void Refuse(ControlCommand command)
    {
        var error = new ObjectDisposedException("AccelerationEngine", "the AC worker has stopped");
        switch (command)
        {
            case AddQueueCommand add:
                add.Added.TrySetException(error);
                break;
            case RemoveQueueCommand remove:
                remove.Queue.BeginDrain(TimeSpan.Zero, remove.Removed);
                remove.Queue.Close();
                break;
            case SwapDriverCommand swap:
                swap.Swapped.TrySetException(error);
                break;
            case SetServiceLevelCommand set:
                set.Applied.TrySetException(error);
                break;
            case ArmStandbyCommand arm:
                arm.Armed.TrySetException(error);
                break;
        }
    }

    public void RequestStop() => _control.Enqueue(StopCommand.Instance);
}
