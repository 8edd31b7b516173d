using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// A synchronous <see cref="IGDriver"/> seen through the asynchronous contract: each op runs inside
/// <see cref="Submit"/> and its completion waits in a small ring until <see cref="Poll"/>. Nothing is ever in flight
/// in a device, so <see cref="Abandon"/> has nothing to do. Does not own the inner driver (the AC disposes it).
/// </summary>
public sealed unsafe class SyncDriverAdapter : IAsyncGDriver
{
    private readonly IGDriver _inner;
    private readonly DriverCompletion[] _done;
    private int _head;
    private int _count;

    public SyncDriverAdapter(IGDriver inner, int capacity = 256)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _inner = inner;
        _done = new DriverCompletion[capacity];
    }

    public IGDriver Inner => _inner;

    /// <summary>
    /// The first exception the inner driver threw (null while it threw none): kept, not formatted, so the failing op
    /// costs no allocation; whoever signals the fault reads it once. A fresh adapter comes with each driver generation.
    /// </summary>
    public Exception? Fault { get; private set; }

    public string Function => _inner.Function;

    public DriverKind Kind => _inner.Kind;

    public int DigestSize => _inner.DigestSize;

    public bool RequiresSession => _inner.RequiresSession;

    public int MaxInFlight => _done.Length;

    public OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session) => _inner.OpenSession(key, out session);

    public void CloseSession(object? session) => _inner.CloseSession(session);

    public OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written) =>
        _inner.Execute(op, input, output, out written);

    public int Submit(ReadOnlySpan<DriverRequest> requests)
    {
        var n = Math.Min(requests.Length, _done.Length - _count);
        for (var i = 0; i < n; i++)
        {
            ref readonly var r = ref requests[i];
            ref var c = ref _done[(_head + _count) % _done.Length];
            c.Token = r.Token;
            c.Status = Run(r, out c.Written);
            _count++;
        }
        return n;
    }

    private OpStatus Run(in DriverRequest r, out int written)
    {
        var input = new ReadOnlySpan<byte>((void*)r.Input, r.InputLength);
        var output = new Span<byte>((void*)r.Output, r.OutputCapacity);
        var p = r.Param;
        ReadOnlySpan<byte> param = p;
        var op = new DriverOp(r.Code, r.Session, param[..SubmissionDescriptor.NonceSize], r.AadLength, r.DeadlineTimestamp, param[SubmissionDescriptor.TagLengthIndex], param);
        try
        {
            var status = _inner.Execute(op, input, output, out written);
            if (status != OpStatus.Ok || (uint)written > (uint)r.OutputCapacity)
            {
                // A driver that claims more than the output holds is faulty: nothing it wrote counts.
                var reported = status == OpStatus.Ok ? OpStatus.DriverFault : status;
                written = 0;
                return reported;
            }
            return OpStatus.Ok;
        }
        catch (Exception ex)
        {
            // The one place an exception is expected: a faulty driver. The op fails, the worker lives.
            Fault ??= ex;
            written = 0;
            return OpStatus.DriverFault;
        }
    }

    public int Poll(Span<DriverCompletion> completions)
    {
        var n = Math.Min(completions.Length, _count);
        for (var i = 0; i < n; i++)
        {
            completions[i] = _done[_head];
            _head = (_head + 1) % _done.Length;
        }
        _count -= n;
        return n;
    }

    public void Abandon(ulong token)
    {
    }

    /// <summary>Leaves the inner driver alone: the AC owns and disposes it.</summary>
    public void Dispose()
    {
    }
}
