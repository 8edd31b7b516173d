using System.Collections.Concurrent;
using System.Diagnostics;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;

namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// Engine-level supervision of DPDK devices: watches the queues served by a device driver and, when the device holds
/// ops without handing any back for <c>stallAfter</c> (hung) or fails ops (a PMD error), moves the queue to a fallback
/// driver (another device, down to the .NET software driver) with <see cref="AccelerationEngine.SwapDriverAsync"/>:
/// the ops the device held are abandoned there and submitted again to the fallback, sessions rebuilt from the AC's
/// keys, so a guest streaming through the channel loses nothing and reopens nothing. Picking <c>stallAfter</c> well
/// below the queue's op deadline makes the move before any op is answered DeadlineExceeded.
/// Runs on a thread of its own, off the workers' hot path; the health it reads is plain counters.
/// </summary>
public sealed class DpdkQueueWatchdog : IDisposable
{
    private readonly AccelerationEngine _engine;
    private readonly long _stallTicks;
    private readonly TimeSpan _interval;
    private readonly Action<string, string>? _failedOver;
    private readonly ConcurrentDictionary<string, Watched> _watches = new();
    private readonly ConcurrentQueue<(string QueueId, string Reason)> _moves = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    private sealed record Watched(IDeviceHealth Device, Func<IGDriver> Fallback, long FaultsAtStart);

    /// <param name="failedOver">Called (on the watchdog's thread) with the queue and why it moved, after the move.</param>
    public DpdkQueueWatchdog(AccelerationEngine engine, TimeSpan stallAfter, TimeSpan? interval = null, Action<string, string>? failedOver = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stallAfter, TimeSpan.Zero);
        _engine = engine;
        _stallTicks = (long)(stallAfter.TotalSeconds * Stopwatch.Frequency);
        _interval = interval ?? TimeSpan.FromMilliseconds(5);
        _failedOver = failedOver;
        _thread = new Thread(Run) { IsBackground = true, Name = "fabric-dpdk-watchdog" };
        _thread.Start();
    }

    /// <summary>Queues moved so far, with why.</summary>
    public IReadOnlyList<(string QueueId, string Reason)> Moves => [.. _moves];

    /// <summary>Watches <paramref name="queueId"/>, served by <paramref name="device"/>; <paramref name="fallback"/> makes its next driver.</summary>
    public void Watch(string queueId, IDeviceHealth device, Func<IGDriver> fallback)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(fallback);
        _watches[queueId] = new Watched(device, fallback, device.Faults);
    }

    public void Unwatch(string queueId) => _watches.TryRemove(queueId, out _);

    private void Run()
    {
        while (!_stop.Token.WaitHandle.WaitOne(_interval))
        {
            foreach (var (queueId, watch) in _watches)
            {
                if (Diagnose(watch) is { } reason && _watches.TryRemove(queueId, out _))
                {
                    Move(queueId, watch, reason);
                }
            }
        }
    }

    private string? Diagnose(Watched watch)
    {
        var device = watch.Device;
        var faults = device.Faults - watch.FaultsAtStart;
        if (faults > 0)
        {
            return $"the device failed {faults} op(s)";
        }
        var pending = device.Pending;
        var waited = Stopwatch.GetTimestamp() - device.LastProgressTimestamp;
        return pending > 0 && waited > _stallTicks
            ? $"the device holds {pending} op(s) and completed none for {waited * 1000 / Stopwatch.Frequency} ms"
            : null;
    }

    private void Move(string queueId, Watched watch, string reason)
    {
        IGDriver? next = null;
        try
        {
            next = watch.Fallback();
            var previous = _engine.SwapDriverAsync(queueId, next).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            next = null;
            // Off the worker now: a hung device's driver frees what surfaces and leaks (on purpose) what never does.
            previous.Dispose();
            _moves.Enqueue((queueId, reason));
            _failedOver?.Invoke(queueId, reason);
        }
        catch (Exception e) when (e is KeyNotFoundException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            // The queue went away (removed, engine stopped) while the move was decided: nothing to move.
            next?.Dispose();
            _moves.Enqueue((queueId, $"{reason}; not moved: {e.Message}"));
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
