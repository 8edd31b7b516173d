using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// One channel served by one worker: validates what the guest posted, runs it on the driver and posts
/// the completion. Everything read from the channel is hostile; the geometry used for every bound is the
/// AC's own copy, and the AC-owned indices live in private fields (shared memory only gets copies).
/// Touched by the owning worker thread only, except the read-only properties.
/// </summary>
internal sealed unsafe class AcQueue
{
    private readonly byte* _sq;
    private readonly byte* _cq;
    private readonly byte* _arena;
    private readonly ulong* _sqTail;
    private readonly ulong* _sqHead;
    private readonly ulong* _cqTail;
    private readonly ulong* _cqHead;
    private readonly ulong* _heartbeat;
    private readonly ulong _sqEntries;
    private readonly ulong _cqEntries;
    private readonly ulong _sqMask;
    private readonly ulong _cqMask;
    private readonly uint _slotCount;
    private readonly uint _slotSize;
    private readonly int _maxKeyBytes;
    private readonly long _deadlineTicks;
    private readonly SessionTable _sessions;
    /// <summary>Largest burst taken from one queue per visit (the size of the private descriptor copy).</summary>
    internal const int MaxBurst = 256;

    private readonly SubmissionDescriptor* _burst;
    private readonly SubmissionDescriptor[] _burstBuffer;
    private static readonly long PublishTicks = Stopwatch.Frequency / 500_000; // 2 us
    private static readonly double s_nanosPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    private ulong _sqHeadLocal;
    private ulong _cqTailLocal;
    private IGDriver _driver;
    private int _state;
    private long _drainDeadline;
    private TaskCompletionSource<QueueRemoval>? _removal;
    private long _drainStartOps;

    private readonly Action<string, string>? _onFault;

    public AcQueue(string id, ChannelFile channel, IGDriver driver, QueueOptions options, Action<string, string>? onFault = null)
    {
        _onFault = onFault;
        if (channel.Geometry is not { } g)
        {
            throw new ArgumentException($"channel {channel.Path} was not created by this process: the AC serves only channels it created (it trusts its own sizes, never the file's)", nameof(channel));
        }
        Id = id;
        Channel = channel;
        _driver = driver;
        var b = channel.Base;
        _sq = b + g.SqOffset;
        _cq = b + g.CqOffset;
        _arena = b + g.ArenaOffset;
        _sqTail = (ulong*)(b + ChannelLayout.SqTailOffset);
        _sqHead = (ulong*)(b + ChannelLayout.SqHeadOffset);
        _cqTail = (ulong*)(b + ChannelLayout.CqTailOffset);
        _cqHead = (ulong*)(b + ChannelLayout.CqHeadOffset);
        _heartbeat = (ulong*)(b + ChannelLayout.HeartbeatOffset);
        _sqEntries = (ulong)g.SqEntries;
        _cqEntries = (ulong)g.CqEntries;
        _sqMask = _sqEntries - 1;
        _cqMask = _cqEntries - 1;
        _slotCount = (uint)g.SlotCount;
        _slotSize = (uint)g.SlotSize;
        _maxKeyBytes = options.MaxKeyBytes;
        _deadlineTicks = Math.Max(1, (long)(options.OpDeadline.TotalSeconds * Stopwatch.Frequency));
        _sessions = new SessionTable(g.MaxSessions);
        _burstBuffer = GC.AllocateArray<SubmissionDescriptor>(MaxBurst, pinned: true);
        _burst = (SubmissionDescriptor*)Unsafe.AsPointer(ref _burstBuffer[0]);
        // A re-attached channel continues from the indices the AC last published.
        _sqHeadLocal = Volatile.Read(ref *_sqHead);
        _cqTailLocal = Volatile.Read(ref *_cqTail);
        _state = (int)ChannelState.Created;
        // The guest learns what serves it and how long an op may take from the header (ABI v2).
        channel.WriteService(driver.Function, options.OpDeadline);
    }

    public string Id { get; }

    public ChannelFile Channel { get; }

    public QueueCounters Counters { get; } = new();

    public IGDriver Driver => Volatile.Read(ref _driver);

    public ChannelState State => (ChannelState)Volatile.Read(ref _state);

    public int WorkerIndex { get; set; } = -1;

    /// <summary>Why the queue faulted, when it did.</summary>
    public string? FaultReason { get; private set; }

    public uint DriverGeneration { get; private set; }

    public int Sessions => _sessions.Count;

    public bool IsDraining => _state == (int)ChannelState.Draining;

    public bool HasRemovalPending => _removal is not null;

    /// <summary>Set once by the first remove request; later requests wait on the same outcome.</summary>
    internal TaskCompletionSource<QueueRemoval>? RemovalRequest;

    private void SetState(ChannelState state)
    {
        Volatile.Write(ref _state, (int)state);
        Channel.SetState(state);
    }

    internal void Activate() => SetState(ChannelState.Active);

    internal void Beat() => Volatile.Write(ref *_heartbeat, *_heartbeat + 1);

    /// <summary>Serves up to <paramref name="burst"/> descriptors; returns how many.</summary>
    public int Poll(int burst)
    {
        var state = _state;
        if (state != (int)ChannelState.Active && state != (int)ChannelState.Draining)
        {
            return 0;
        }
        var tail = Volatile.Read(ref *_sqTail);
        var available = tail - _sqHeadLocal;
        if (available == 0)
        {
            return 0;
        }
        if (available > _sqEntries)
        {
            Fault($"submission tail {tail} is more than {_sqEntries} entries past the AC's head {_sqHeadLocal}");
            return 0;
        }
        var cqHead = Volatile.Read(ref *_cqHead);
        var inUse = _cqTailLocal - cqHead;
        if (inUse > _cqEntries)
        {
            Fault($"completion head {cqHead} is not within {_cqEntries} entries behind the AC's tail {_cqTailLocal}");
            return 0;
        }
        // Never take more than the completion ring can answer: no op is dropped for want of a slot.
        var n = Math.Min(Math.Min(available, _cqEntries - inUse), (ulong)Math.Min(burst, MaxBurst));
        if (n == 0)
        {
            Counters.RecordCqFull();
            return 0;
        }
        // Copy the whole burst out of shared memory first: the copy is what gets checked (the guest may
        // rewrite entries meanwhile), the cache misses on the guest's lines overlap instead of queueing
        // one per op, and the entries go back to the guest at once.
        var count = (int)n;
        var index = (int)(_sqHeadLocal & _sqMask);
        var first = Math.Min(count, (int)_sqEntries - index);
        Unsafe.CopyBlockUnaligned(_burst, _sq + (long)index * ChannelLayout.SubmissionEntrySize, (uint)(first * ChannelLayout.SubmissionEntrySize));
        if (count > first)
        {
            Unsafe.CopyBlockUnaligned(_burst + first, _sq, (uint)((count - first) * ChannelLayout.SubmissionEntrySize));
        }
        _sqHeadLocal += n;
        Volatile.Write(ref *_sqHead, _sqHeadLocal);

        // One clock read per op: the end of one op is the start of the next.
        var now = Stopwatch.GetTimestamp();
        var published = now;
        for (var i = 0; i < count; i++)
        {
            ref var d = ref _burst[i];
            var start = now;
            var status = Execute(ref d, start, out var written, out var value);
            now = Stopwatch.GetTimestamp();
            if (status == OpStatus.Ok && now - start > _deadlineTicks && d.Op is OpCode.Forward or OpCode.Inverse)
            {
                // Finished, but too late: a hung device's late answer is not trusted.
                status = OpStatus.DeadlineExceeded;
                written = 0;
            }
            var nanos = (long)((now - start) * s_nanosPerTick);
            CompletionEntry c;
            c.Tag = d.Tag;
            c.Status = status;
            c.OutLength = (uint)written;
            c.Value = value;
            c.ServiceNanos = (ulong)nanos;
            Unsafe.WriteUnaligned(_cq + (long)((_cqTailLocal & _cqMask) * ChannelLayout.CompletionEntrySize), c);
            _cqTailLocal++;
            // Publication point: entries are complete before the guest can see the new tail. Publish at the
            // end of the burst, or sooner once a couple of microseconds of work piled up: every store to a
            // line the guest is polling costs a cache-line round trip, so cheap ops share one.
            if (i == count - 1 || now - published >= PublishTicks)
            {
                Volatile.Write(ref *_cqTail, _cqTailLocal);
                published = now;
            }
            // Input bytes count only for the ops that read their input (the key of OpenSession, the data of Forward
            // and Inverse): a Nop or CloseSession ignores in_length, whatever the guest put there.
            Counters.Record(status, status == OpStatus.Ok && d.Op is OpCode.OpenSession or OpCode.Forward or OpCode.Inverse ? d.InLength : 0, written, nanos);
        }
        return count;

    }

    private OpStatus Execute(ref SubmissionDescriptor d, long start, out int written, out ulong value)
    {
        written = 0;
        value = 0;
        // Decided in the order docs/channel-abi.md lists: op, then the fields every op requires to be 0, then
        // the op's own fields. Fields an op does not read are ignored (the per-op table in the doc).
        if ((uint)d.Op > (uint)OpCode.Inverse)
        {
            return OpStatus.Unsupported;
        }
        if (d.Flags != 0 || d.Reserved != 0)
        {
            return OpStatus.BadDescriptor;
        }
        switch (d.Op)
        {
            case OpCode.Nop:
                return d.AadLength == 0 ? OpStatus.Ok : OpStatus.BadDescriptor;
            case OpCode.OpenSession:
            {
                if (d.AadLength != 0 || !TryRange(d.InSlot, d.InOffset, d.InLength) || d.InLength > (uint)_maxKeyBytes)
                {
                    return OpStatus.BadDescriptor;
                }
                var key = new ReadOnlySpan<byte>(_arena + (long)d.InSlot * _slotSize + d.InOffset, (int)d.InLength);
                OpStatus status;
                uint id;
                try
                {
                    status = _sessions.Open(_driver, key, out id);
                }
                catch (Exception)
                {
                    return OpStatus.DriverFault;
                }
                value = id;
                return status;
            }
            case OpCode.CloseSession:
                if (d.AadLength != 0)
                {
                    return OpStatus.BadDescriptor;
                }
                try
                {
                    return _sessions.Close(_driver, d.Session);
                }
                catch (Exception)
                {
                    return OpStatus.DriverFault;
                }
            case OpCode.Forward:
            case OpCode.Inverse:
                return ExecuteData(ref d, start, out written);
            default:
                return OpStatus.Unsupported;
        }
    }

    private OpStatus ExecuteData(ref SubmissionDescriptor d, long start, out int written)
    {
        written = 0;
        if (!TryRange(d.InSlot, d.InOffset, d.InLength)
            || !TryRange(d.OutSlot, d.OutOffset, d.OutCapacity)
            || d.AadLength > d.InLength)
        {
            return OpStatus.BadDescriptor;
        }
        var inStart = (long)d.InSlot * _slotSize + d.InOffset;
        var outStart = (long)d.OutSlot * _slotSize + d.OutOffset;
        if (d.InLength != 0 && d.OutCapacity != 0 && inStart < outStart + d.OutCapacity && outStart < inStart + d.InLength)
        {
            return OpStatus.BadDescriptor;
        }
        object? session = null;
        if (d.Session != 0)
        {
            if (!_sessions.TryGet(d.Session, out session))
            {
                return OpStatus.BadSession;
            }
        }
        var driver = _driver;
        if (session is null && driver.RequiresSession)
        {
            return OpStatus.BadSession;
        }
        var input = new ReadOnlySpan<byte>(_arena + inStart, (int)d.InLength);
        var output = new Span<byte>(_arena + outStart, (int)d.OutCapacity);
        var nonce = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<Param16, byte>(ref d.Param), SubmissionDescriptor.NonceSize);
        var deadline = start + _deadlineTicks;
        var op = new DriverOp(d.Op, session, nonce, (int)d.AadLength, deadline, d.Param[SubmissionDescriptor.TagLengthIndex]);
        OpStatus status;
        try
        {
            status = driver.Execute(op, input, output, out written);
        }
        catch (Exception)
        {
            // The one place an exception is expected: a faulty driver. The op fails, the worker lives.
            written = 0;
            return OpStatus.DriverFault;
        }
        if (status != OpStatus.Ok || (uint)written > d.OutCapacity)
        {
            written = 0;
            return status == OpStatus.Ok ? OpStatus.DriverFault : status;
        }
        return OpStatus.Ok;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryRange(uint slot, uint offset, uint length) =>
        slot < _slotCount && (ulong)offset + length <= _slotSize;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fault(string reason)
    {
        FaultReason = reason;
        SetState(ChannelState.Faulted);
        Counters.RecordFault();
        try
        {
            _onFault?.Invoke(Id, reason);
        }
        catch (Exception)
        {
            // A failing observer cannot take the worker down with it.
        }
    }

    internal void BeginDrain(TimeSpan timeout, TaskCompletionSource<QueueRemoval> removal)
    {
        _removal = removal;
        _drainStartOps = Counters.Ops;
        _drainDeadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        if (State is ChannelState.Active or ChannelState.Created)
        {
            SetState(ChannelState.Draining);
        }
    }

    /// <summary>True when draining is over: nothing left to serve, the deadline passed, or the queue faulted.</summary>
    internal bool DrainFinished(long now)
    {
        if (State != ChannelState.Draining)
        {
            return true;
        }
        return Volatile.Read(ref *_sqTail) == _sqHeadLocal || now > _drainDeadline;
    }

    /// <summary>Closes the queue for good: no more service, sessions wiped, removal reported.</summary>
    internal void Close()
    {
        var faulted = State == ChannelState.Faulted;
        var left = faulted ? ulong.MaxValue : AnswerLeftovers();
        if (!faulted)
        {
            SetState(ChannelState.Closed);
        }
        try
        {
            _sessions.CloseAll(_driver);
        }
        catch (Exception)
        {
            // A faulty driver cannot keep the queue from closing.
        }
        _removal?.TrySetResult(new QueueRemoval(Id, Counters.Ops - _drainStartOps, left > _sqEntries ? -1 : (long)left, FaultReason));
    }

    /// <summary>
    /// Descriptors still posted when the drain ends are not run, but answered QueueClosing as far as the
    /// completion ring has room, so the guest learns their fate. Returns how many stay unanswered.
    /// </summary>
    private ulong AnswerLeftovers()
    {
        var available = Volatile.Read(ref *_sqTail) - _sqHeadLocal;
        var inUse = _cqTailLocal - Volatile.Read(ref *_cqHead);
        if (available > _sqEntries || inUse > _cqEntries)
        {
            return ulong.MaxValue;
        }
        var n = Math.Min(available, _cqEntries - inUse);
        for (ulong i = 0; i < n; i++)
        {
            var tag = Unsafe.ReadUnaligned<ulong>(_sq + (long)((_sqHeadLocal & _sqMask) * ChannelLayout.SubmissionEntrySize));
            _sqHeadLocal++;
            CompletionEntry c = default;
            c.Tag = tag;
            c.Status = OpStatus.QueueClosing;
            Unsafe.WriteUnaligned(_cq + (long)((_cqTailLocal & _cqMask) * ChannelLayout.CompletionEntrySize), c);
            Volatile.Write(ref *_cqTail, ++_cqTailLocal);
            Counters.Record(OpStatus.QueueClosing, 0, 0, 0);
        }
        Volatile.Write(ref *_sqHead, _sqHeadLocal);
        return available - n;
    }

    internal IGDriver Swap(IGDriver next)
    {
        var previous = _driver;
        try
        {
            _sessions.Rebind(previous, next);
        }
        catch (Exception)
        {
            // Sessions the new driver could not take are already wiped; ops on them complete BadSession.
        }
        Volatile.Write(ref _driver, next);
        DriverGeneration++;
        Channel.WriteU32(ChannelLayout.DriverGenerationOffset, DriverGeneration);
        return previous;
    }
}
