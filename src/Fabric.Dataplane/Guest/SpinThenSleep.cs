using System.Diagnostics;

namespace Fabric.Dataplane.Guest;

/// <summary>
/// Waiting without a futex: spin while the answer is likely microseconds away, then yield the core,
/// then sleep in 1 ms steps. A struct so a wait loop allocates nothing.
/// </summary>
public struct SpinThenSleep
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000;   // 50 us
    private static readonly long YieldTicks = Stopwatch.Frequency / 1_000;   // 1 ms

    private long _start;
    private int _iterations;

    /// <summary>One step of backing off; call after each empty poll.</summary>
    public void Pause()
    {
        if (_iterations++ == 0)
        {
            _start = Stopwatch.GetTimestamp();
            Thread.SpinWait(1);
            return;
        }
        var elapsed = Stopwatch.GetTimestamp() - _start;
        if (elapsed < SpinTicks)
        {
            // Short pauses: the completion is likely a few hundred nanoseconds away.
            Thread.SpinWait(1);
        }
        else if (elapsed < YieldTicks)
        {
            Thread.Yield();
        }
        else
        {
            Thread.Sleep(1);
        }
    }

    public void Reset() => _iterations = 0;
}
