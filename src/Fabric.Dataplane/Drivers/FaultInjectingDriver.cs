using System.Diagnostics;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// Wraps a real driver and, on command, throws, hangs past the deadline, or corrupts output: for tests
/// and demos of the fault paths. <see cref="Arm"/> may be called from any thread while a worker runs it.
/// </summary>
public sealed class FaultInjectingDriver : IGDriver
{
    private readonly IGDriver _inner;
    private readonly TimeSpan _hangBeyondDeadline;
    private int _kind;
    private int _remaining;
    private long _injected;

    /// <param name="hangBeyondDeadline">How long past the op's deadline a Hang stalls (bounded, so tests end).</param>
    public FaultInjectingDriver(IGDriver inner, TimeSpan? hangBeyondDeadline = null)
    {
        _inner = inner;
        _hangBeyondDeadline = hangBeyondDeadline ?? TimeSpan.FromMilliseconds(5);
    }

    public string Function => _inner.Function;

    public DriverKind Kind => _inner.Kind;

    public int DigestSize => _inner.DigestSize;

    public bool RequiresSession => _inner.RequiresSession;

    /// <summary>Faults injected so far.</summary>
    public long Injected => Volatile.Read(ref _injected);

    /// <summary>Makes the next <paramref name="count"/> data ops fail as <paramref name="kind"/> (count &lt; 0: until disarmed).</summary>
    public void Arm(FaultKind kind, int count = 1)
    {
        Volatile.Write(ref _remaining, count);
        Volatile.Write(ref _kind, (int)kind);
    }

    public void Disarm() => Volatile.Write(ref _kind, (int)FaultKind.None);

    public OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session) => _inner.OpenSession(key, out session);

    public void CloseSession(object? session) => _inner.CloseSession(session);

    public OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        var kind = TakeFault();
        switch (kind)
        {
            case FaultKind.Throw:
                throw new InvalidOperationException("injected driver fault");
            case FaultKind.Hang:
                var until = op.DeadlineTimestamp + (long)(_hangBeyondDeadline.TotalSeconds * Stopwatch.Frequency);
                while (Stopwatch.GetTimestamp() < until)
                {
                    Thread.Sleep(1);
                }
                return _inner.Execute(op, input, output, out written);
            case FaultKind.Corrupt:
                var status = _inner.Execute(op, input, output, out written);
                if (status == OpStatus.Ok && written > 0)
                {
                    output[0] ^= 0x5A;
                    output[written - 1] ^= 0xA5;
                }
                return status;
            default:
                return _inner.Execute(op, input, output, out written);
        }
    }

    private FaultKind TakeFault()
    {
        var kind = (FaultKind)Volatile.Read(ref _kind);
        if (kind == FaultKind.None)
        {
            return FaultKind.None;
        }
        var left = Volatile.Read(ref _remaining);
        if (left == 0)
        {
            return FaultKind.None;
        }
        if (left > 0 && Interlocked.Decrement(ref _remaining) < 0)
        {
            return FaultKind.None;
        }
        Interlocked.Increment(ref _injected);
        return kind;
    }

    public void Dispose() => _inner.Dispose();
}
