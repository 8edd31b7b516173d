using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Tests.Engine;

/// <summary>What every test device shares: keyless, asynchronous only, nothing to abandon or free.</summary>
internal abstract class TestAsyncDriver : KeylessDriver, IAsyncGDriver
{
    public abstract int MaxInFlight { get; }

    public sealed override OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written) =>
        throw new InvalidOperationException("the AC must use the asynchronous contract of this driver");

    public abstract int Submit(ReadOnlySpan<DriverRequest> requests);

    public abstract int Poll(Span<DriverCompletion> completions);

    public virtual void Abandon(ulong token)
    {
    }
}

/// <summary>
/// A device that finishes out of order: it copies input to output, takes at most <c>perSubmit</c> ops per Submit
/// (a busy device), and answers the ops it holds newest first once it holds <c>hold</c> of them (or after a few polls
/// with nothing new). Preallocated, so it can stand in the allocation test.
/// </summary>
internal sealed unsafe class ReorderingDriver(int hold = 4, int perSubmit = 3, int capacity = 64) : TestAsyncDriver
{
    private readonly DriverRequest[] _held = new DriverRequest[capacity];
    private readonly ulong[] _order = new ulong[4096];
    private int _count;
    private int _idlePolls;
    private long _completed;
    private long _outOfOrder;
    private ulong _lastToken = ulong.MaxValue;

    /// <summary>Completions given back with a smaller token than the one before (the device reordered).</summary>
    public long OutOfOrder => Volatile.Read(ref _outOfOrder);

    public long Completed => Volatile.Read(ref _completed);

    public override string Function => "copy";

    public override DriverKind Kind => DriverKind.Transform;

    public override int MaxInFlight => capacity;

    public override int Submit(ReadOnlySpan<DriverRequest> requests)
    {
        var n = Math.Min(Math.Min(requests.Length, perSubmit), capacity - _count);
        for (var i = 0; i < n; i++)
        {
            _held[_count++] = requests[i];
        }
        _idlePolls = 0;
        return n;
    }

    public override int Poll(Span<DriverCompletion> completions)
    {
        if (_count == 0 || (_count < hold && ++_idlePolls < 3))
        {
            return 0;
        }
        var n = 0;
        while (_count > 0 && n < completions.Length)
        {
            ref var r = ref _held[--_count];
            var copy = Math.Min(r.InputLength, r.OutputCapacity);
            new ReadOnlySpan<byte>((void*)r.Input, copy).CopyTo(new Span<byte>((void*)r.Output, copy));
            completions[n].Token = r.Token;
            completions[n].Status = OpStatus.Ok;
            completions[n].Written = copy;
            if (_lastToken != ulong.MaxValue && r.Token < _lastToken)
            {
                Volatile.Write(ref _outOfOrder, _outOfOrder + 1);
            }
            _lastToken = r.Token;
            r.Session = null;
            n++;
        }
        Volatile.Write(ref _completed, _completed + n);
        return n;
    }

}

/// <summary>A hung device: it takes every op and never answers. Counts what the AC abandons.</summary>
internal sealed class BlackHoleDriver : TestAsyncDriver
{
    private long _submitted;
    private long _abandoned;

    public long Submitted => Volatile.Read(ref _submitted);

    public long Abandoned => Volatile.Read(ref _abandoned);

    public override string Function => "crc32c";

    public override DriverKind Kind => DriverKind.Digest;

    public override int DigestSize => 4;

    public override int MaxInFlight => 1024;

    public override int Submit(ReadOnlySpan<DriverRequest> requests)
    {
        Volatile.Write(ref _submitted, _submitted + requests.Length);
        return requests.Length;
    }

    public override int Poll(Span<DriverCompletion> completions) => 0;

    public override void Abandon(ulong token) => Volatile.Write(ref _abandoned, _abandoned + 1);
}

/// <summary>
/// A broken device: every third Submit throws, Poll also reports tokens it was never given and claims more output
/// than the op's capacity for odd tokens. The AC must answer each op exactly once and keep its worker.
/// </summary>
internal sealed class BrokenAsyncDriver : TestAsyncDriver
{
    private readonly ulong[] _held = new ulong[256];
    private int _count;
    private int _submits;

    public override string Function => "crc32c";

    public override DriverKind Kind => DriverKind.Digest;

    public override int DigestSize => 4;

    public override int MaxInFlight => _held.Length;

    public override int Submit(ReadOnlySpan<DriverRequest> requests)
    {
        if (++_submits % 3 == 0)
        {
            throw new InvalidOperationException("device error on submit");
        }
        var n = Math.Min(requests.Length, _held.Length - _count);
        for (var i = 0; i < n; i++)
        {
            _held[_count++] = requests[i].Token;
        }
        return n;
    }

    public override int Poll(Span<DriverCompletion> completions)
    {
        var n = 0;
        if (completions.Length > 0)
        {
            completions[n++] = new DriverCompletion { Token = 0xDEAD_0000_0000, Status = OpStatus.Ok, Written = 4 };
        }
        while (_count > 0 && n < completions.Length)
        {
            var token = _held[--_count];
            completions[n++] = new DriverCompletion { Token = token, Status = OpStatus.Ok, Written = token % 2 == 1 ? 1 << 20 : 4 };
        }
        return n;
    }

}
