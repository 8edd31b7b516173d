using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// Wraps an asynchronous device driver (a <see cref="DpdkGDriver"/>) and, on command, makes the device stop completing
/// (it keeps taking ops, none come back: a hung device) or fail every op it completes (a PMD error): the drills and
/// tests of DPDK supervision. <see cref="Arm"/> may be called from any thread while a worker runs it.
/// </summary>
public sealed class FaultInjectingAsyncDriver : IAsyncGDriver, IArenaDriver
{
    public enum Fault
    {
        None,
        /// <summary>Ops go into the device and never come back to the AC.</summary>
        StopCompleting,
        /// <summary>Every completion is DriverFault (the output is not written).</summary>
        Error,
    }

    private readonly IAsyncGDriver _inner;
    private int _fault;
    private int _pending;
    private long _faults;

    public FaultInjectingAsyncDriver(IAsyncGDriver inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    public IAsyncGDriver Inner => _inner;

    public void Arm(Fault fault) => Volatile.Write(ref _fault, (int)fault);

    public void UseArena(ChannelArenaLease? lease)
    {
        if (_inner is IArenaDriver inner)
        {
            inner.UseArena(lease);
        }
        else
        {
            lease?.Dispose();
        }
    }

    public string Function => _inner.Function;

    public DriverKind Kind => _inner.Kind;

    public int DigestSize => _inner.DigestSize;

    public bool RequiresSession => _inner.RequiresSession;

    public int MaxInFlight => _inner.MaxInFlight;

    public int Pending => Volatile.Read(ref _pending);

    public long Faults => Volatile.Read(ref _faults);

    public OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session) => _inner.OpenSession(key, out session);

    public void CloseSession(object? session) => _inner.CloseSession(session);

    public OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written) =>
        _inner.Execute(op, input, output, out written);

    public int Submit(ReadOnlySpan<DriverRequest> requests)
    {
        var taken = _inner.Submit(requests);
        Volatile.Write(ref _pending, _pending + taken);
        return taken;
    }

    public int Poll(Span<DriverCompletion> completions)
    {
        var fault = (Fault)Volatile.Read(ref _fault);
        if (fault == Fault.StopCompleting)
        {
            return 0; // the ops stay in the device; nothing comes back
        }
        var n = _inner.Poll(completions);
        if (n == 0)
        {
            return 0;
        }
        if (fault == Fault.Error)
        {
            // The inner driver wrote the outputs already; a real PMD error would leave them undefined: the status says so.
            for (var i = 0; i < n; i++)
            {
                completions[i].Status = OpStatus.DriverFault;
                completions[i].Written = 0;
            }
            Interlocked.Add(ref _faults, n);
        }
        Volatile.Write(ref _pending, Math.Max(0, _pending - n));
        return n;
    }

    public void Abandon(ulong token)
    {
        _inner.Abandon(token);
        Volatile.Write(ref _pending, Math.Max(0, _pending - 1));
    }

    public void Dispose()
    {
        // The device this wrapper made fail is reset as a failed real one is (DpdkGDriver resets its queue pair).
        if (_inner is DpdkGDriver dpdk && ((Fault)Volatile.Read(ref _fault) != Fault.None || Faults > 0))
        {
            dpdk.RequestReset();
        }
        _inner.Dispose();
    }
}
