using System.Runtime.CompilerServices;
using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// One channel served by one worker: validates what the guest posted, hands data ops to the driver through the
/// asynchronous contract (<see cref="IAsyncGDriver"/>; synchronous drivers through <see cref="SyncDriverAdapter"/>),
/// and answers in submission order through a reorder window (<see cref="InFlightWindow"/>). Everything read from the
/// channel is hostile; the geometry used for every bound is the AC's own copy, and the AC-owned indices live in
/// private fields (shared memory only gets copies). Touched by the owning worker thread only, except the read-only
/// properties.
/// </summary>
internal sealed unsafe partial class AcQueue
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
    private readonly InFlightWindow _window;
    private readonly DriverCompletion[] _completions = new DriverCompletion[MaxBurst];
    private static readonly long PublishTicks = Stopwatch.Frequency / 500_000; // 2 us
    private static readonly double s_nanosPerTick = 1_000_000_000.0 / Stopwatch.Frequency;
    private static readonly bool s_ticksAreNanos = Stopwatch.Frequency == 1_000_000_000;

    private ulong _sqHeadLocal;
    private ulong _cqTailLocal;
    private IGDriver _driver;
    private IAsyncGDriver _port;
    private int _state;
    private long _drainDeadline;
    private TaskCompletionSource<QueueRemoval>? _removal;
    private long _drainStartOps;
    private long _published;
    private ulong _cqTailPublished;

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
        IArenaDriver.Offer(driver, channel);
        _port = Port(driver);
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
        _window = new InFlightWindow(options.ReorderWindow);
        // A re-attached channel continues from the indices the AC last published.
        _sqHeadLocal = Volatile.Read(ref *_sqHead);
        _cqTailLocal = Volatile.Read(ref *_cqTail);
        _cqTailPublished = _cqTailLocal;
        _state = (int)ChannelState.Created;
        // The guest learns what serves it and how long an op may take from the header (ABI v2).
        channel.WriteService(driver.Function, options.OpDeadline);
    }

    private static IAsyncGDriver Port(IGDriver driver) => driver as IAsyncGDriver ?? new SyncDriverAdapter(driver);

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

    /// <summary>Ops taken from the ring and not yet answered (in the driver, or done and waiting for an older one).</summary>
    public int InWindow => _window.Count;

    /// <summary>Ops handed to the driver and not yet back: a visit polls them even when it may take nothing new.</summary>
    internal int InDriver => _window.InFlight;

    public bool IsDraining => _state == (int)ChannelState.Draining;

    public bool HasRemovalPending => _removal is not null;

    /// <summary>Served and has posted or unfinished ops (what the service-level scheduler calls backlogged).</summary>
    public bool HasWork => (_state == (int)ChannelState.Active || _state == (int)ChannelState.Draining)
        && (_window.Count != 0 || Volatile.Read(ref *_sqTail) != _sqHeadLocal || Feed is { HasWork: true });

    /// <summary>The source that posts into this queue's channel, when it is not a guest (a vhost-user backend).</summary>
    internal IQueueFeed? Feed;

    /// <summary>Descriptors, and data ops' input bytes, taken from the ring (worker thread only): what the scheduler charges.</summary>
    internal long AdmittedOps;
    internal long AdmittedBytes;

    /// <summary>Set once by the first remove request; later requests wait on the same outcome.</summary>
    internal TaskCompletionSource<QueueRemoval>? RemovalRequest;

    private void SetState(ChannelState state)
    {
        Volatile.Write(ref _state, (int)state);
        Channel.SetState(state);
    }

    internal void Activate() => SetState(ChannelState.Active);

    internal void Beat() => Volatile.Write(ref *_heartbeat, *_heartbeat + 1);

    /// <summary>
    /// One visit: collects what the driver finished, expires ops past their deadline, takes up to
    /// <paramref name="burst"/> new descriptors, submits them and answers every op at the head of the window that is
    /// done. Returns how much happened or is still under way in the device (0: idle).
    /// </summary>
    public int Poll(int burst) => Poll(burst, long.MaxValue);

    /// <summary>
    /// As <see cref="Poll(int)"/>, taking data ops only while <paramref name="byteBudget"/> input bytes remain (the last
    /// may run over it): the service-level scheduler charges peak and committed bytes at admission, from the descriptors.
    /// </summary>
    public int Poll(int burst, long byteBudget)
    {
        var state = _state;
        if (state != (int)ChannelState.Active && state != (int)ChannelState.Draining)
        {
            return 0;
        }
        var work = Feed?.Feed(take: state == (int)ChannelState.Active) ?? 0;
        if (_window.Count == 0 && Volatile.Read(ref *_sqTail) == _sqHeadLocal)
        {
            return work; // idle: no clock read, nothing touched but the guest's tail
        }
        var now = Stopwatch.GetTimestamp();
        if (_window.Unfinished != 0)
        {
            work += Reap(now);
            Expire(now);
        }
        var taken = Take(burst, byteBudget, now);
        if (taken < 0)
        {
            return 0; // faulted
        }
        work += taken;
        if (_window.Unsubmitted != 0)
        {
            // An asynchronous driver's burst starts now (this visit's one clock read); a synchronous one times each op.
            SubmitPending(_port is SyncDriverAdapter ? Stopwatch.GetTimestamp() : now);
        }
        work += Retire(now, force: true); // forced: the time only dates the publication
        if (_failoverDue)
        {
            FailOver();
        }
        work += Feed?.Answer() ?? 0;
        // Ops inside a device count as work: it may answer any moment, and an idle worker sleeps between polls.
        return work + _window.InFlight;
    }

    /// <summary>Takes new descriptors into the window: -1 when the queue faulted, else how many.</summary>
    private int Take(int burst, long byteBudget, long now)
    {
        var tail = Volatile.Read(ref *_sqTail);
        var available = tail - _sqHeadLocal;
        if (available == 0)
        {
            return 0;
        }
        if (available > _sqEntries)
        {
            Fault($"submission tail {tail} is more than {_sqEntries} entries past the AC's head {_sqHeadLocal}");
            return -1;
        }
        var cqHead = Volatile.Read(ref *_cqHead);
        var inUse = _cqTailLocal - cqHead;
        if (inUse > _cqEntries)
        {
            Fault($"completion head {cqHead} is not within {_cqEntries} entries behind the AC's tail {_cqTailLocal}");
            return -1;
        }
        // Never take more than the completion ring can answer, counting the ops already in the window: no op is
        // dropped for want of a completion entry.
        var reserved = inUse + (ulong)_window.Count;
        var cqFree = reserved >= _cqEntries ? 0 : _cqEntries - reserved;
        var n = Math.Min(Math.Min(available, cqFree), (ulong)Math.Min(Math.Min(burst, MaxBurst), _window.Free));
        if (n == 0)
        {
            if (cqFree == 0)
            {
                Counters.RecordCqFull();
            }
            return 0;
        }
        // Copy the whole burst out of shared memory first: the copy is what gets checked (the guest may
        // rewrite entries meanwhile), and the cache misses on the guest's lines overlap instead of queueing.
        var count = (int)n;
        var index = (int)(_sqHeadLocal & _sqMask);
        var first = Math.Min(count, (int)_sqEntries - index);
        Unsafe.CopyBlockUnaligned(_burst, _sq + (long)index * ChannelLayout.SubmissionEntrySize, (uint)(first * ChannelLayout.SubmissionEntrySize));
        if (count > first)
        {
            Unsafe.CopyBlockUnaligned(_burst + first, _sq, (uint)((count - first) * ChannelLayout.SubmissionEntrySize));
        }
        var taken = 0;
        for (; taken < count; taken++)
        {
            ref var d = ref _burst[taken];
            // A session op waits until no data op is unfinished: CloseSession must not free a session a device is
            // still using, and ops after an OpenSession must see it. It stays in the ring until then.
            if (d.Op is OpCode.OpenSession or OpCode.CloseSession && _window.Unfinished != 0)
            {
                break;
            }
            if (d.Op > OpCode.CloseSession)
            {
                if (byteBudget <= 0)
                {
                    break;
                }
                byteBudget -= d.InLength;
                AdmittedBytes += d.InLength;
            }
            AdmittedOps++;
            var seq = _window.Tail;
            ref var e = ref _window.At(seq);
            e.Tag = d.Tag;
            e.Op = d.Op;
            e.Session = d.Session;
            e.InLength = d.InLength;
            e.Start = now;
            e.End = now;
            e.Written = 0;
            var status = Decide(ref d, seq, out var value, out var pending);
            e.Value = value;
            if (pending)
            {
                e.State = InFlightWindow.EntryState.Unsubmitted;
                _window.Unsubmitted++;
            }
            else
            {
                e.Status = status;
                e.State = InFlightWindow.EntryState.Done;
            }
            _window.Tail = seq + 1;
        }
        if (taken > 0)
        {
            _sqHeadLocal += (ulong)taken;
            Volatile.Write(ref *_sqHead, _sqHeadLocal);
        }
        return taken;
    }

    /// <summary>
    /// Decides what the AC can decide alone (docs/channel-abi.md's order): bad descriptors, Nop and session ops
    /// complete here; a valid data op becomes a request for the driver (<paramref name="pending"/>).
    /// </summary>
    private OpStatus Decide(ref SubmissionDescriptor d, ulong seq, out ulong value, out bool pending)
    {
        value = 0;
        pending = false;
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
                try
                {
                    var status = _sessions.Open(_driver, key, out var id);
                    value = id;
                    return status;
                }
                catch (Exception ex)
                {
                    NoteDriverException(ex);
                    return OpStatus.DriverFault;
                }
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
                catch (Exception ex)
                {
                    NoteDriverException(ex);
                    return OpStatus.DriverFault;
                }
            default:
                return DecideData(ref d, seq, out pending);
        }
    }

    private OpStatus DecideData(ref SubmissionDescriptor d, ulong seq, out bool pending)
    {
        pending = false;
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
        if (!TrySession(d.Session, out var session))
        {
            return OpStatus.BadSession;
        }
        ref var r = ref _window.RequestAt(seq);
        r.Token = seq;
        r.Code = d.Op;
        r.AadLength = (int)d.AadLength;
        r.Session = session;
        r.Input = (nint)(_arena + inStart);
        r.InputLength = (int)d.InLength;
        r.Output = (nint)(_arena + outStart);
        r.OutputCapacity = (int)d.OutCapacity;
        r.Param = d.Param;
        pending = true;
        return OpStatus.Ok;
    }

    /// <summary>The driver state of a session id; id 0 is "none", allowed only on drivers without keys.</summary>
    private bool TrySession(uint id, out object? session)
    {
        session = null;
        if (id != 0)
        {
            return _sessions.TryGet(id, out session);
        }
        return !_driver.RequiresSession;
    }

    /// <summary>
    /// Hands waiting data ops to the driver in submission order. A synchronous driver gets one op per call and its
    /// answer is collected right away, so each op's service time and deadline are its own and finished ops reach the
    /// guest every couple of microseconds; an asynchronous one gets bursts.
    /// </summary>
    private void SubmitPending(long now)
    {
        var synchronous = _port is SyncDriverAdapter;
        var chunk = synchronous ? 1 : MaxBurst;
        while (_window.Unsubmitted != 0)
        {
            // Never more than the driver says it can hold.
            var room = Math.Min(chunk, _port.MaxInFlight - _window.InFlight);
            if (room <= 0)
            {
                break;
            }
            var first = _window.SubmitNext < _window.Head ? _window.Head : _window.SubmitNext;
            while (first != _window.Tail && _window.At(first).State != InFlightWindow.EntryState.Unsubmitted)
            {
                first++;
            }
            // A run of waiting ops side by side in the window: the driver reads their requests in place.
            var count = _window.WaitingRun(first, room);
            if (count == 0)
            {
                _window.SubmitNext = first;
                break;
            }
            for (var i = 0; i < count; i++)
            {
                var seq = first + (ulong)i;
                _window.At(seq).Start = now;
                _window.RequestAt(seq).DeadlineTimestamp = now + _deadlineTicks;
            }
            int accepted;
            try
            {
                accepted = Math.Clamp(_port.Submit(_window.Requests(first, count)), 0, count);
            }
            catch (Exception ex)
            {
                // A driver that throws on submit took nothing: those ops fail, the worker lives.
                NoteDriverException(ex);
                for (var i = 0; i < count; i++)
                {
                    Finish(ref _window.At(first + (ulong)i), OpStatus.DriverFault, 0, now);
                    _window.Unsubmitted--;
                }
                _window.SubmitNext = first + (ulong)count;
                continue;
            }
            for (var i = 0; i < accepted; i++)
            {
                _window.At(first + (ulong)i).State = InFlightWindow.EntryState.InFlight;
            }
            _window.Unsubmitted -= accepted;
            _window.InFlight += accepted;
            _window.SubmitNext = first + (ulong)accepted;
            if (synchronous)
            {
                now = Stopwatch.GetTimestamp();
                Reap(now);
                Retire(now, force: false);
            }
            if (accepted < count || _failoverDue)
            {
                break; // the device is busy (the rest waits for the next visit), or failed and its standby takes the rest
            }
        }
    }

    /// <summary>Collects what the driver finished; late answers of abandoned ops are dropped.</summary>
    private int Reap(long now)
    {
        if (_window.InFlight == 0)
        {
            return 0;
        }
        int n;
        try
        {
            n = Math.Clamp(_port.Poll(_completions), 0, _completions.Length);
        }
        catch (Exception)
        {
            return 0; // ops stay in flight and meet their deadline
        }
        for (var i = 0; i < n; i++)
        {
            ref var c = ref _completions[i];
            if (!_window.Contains(c.Token))
            {
                continue;
            }
            ref var e = ref _window.At(c.Token);
            if (e.State != InFlightWindow.EntryState.InFlight)
            {
                continue;
            }
            _window.InFlight--;
            var status = c.Status;
            var written = c.Written;
            if (status == OpStatus.Ok && (uint)written > (uint)_window.RequestAt(c.Token).OutputCapacity)
            {
                status = OpStatus.DriverFault; // claims more than the output holds
            }
            if (status == OpStatus.Ok && now - e.Start > _deadlineTicks && e.Op is OpCode.Forward or OpCode.Inverse)
            {
                // Finished, but too late: a hung device's late answer is not trusted.
                status = OpStatus.DeadlineExceeded;
            }
            Finish(ref e, status, status == OpStatus.Ok ? written : 0, now);
        }
        return n;
    }

    /// <summary>
    /// Answers DeadlineExceeded for the oldest ops past their deadline and tells the driver to forget them; the
    /// counter it raises is what the device's g-driver actor watches. Ops after the first one still in time are younger.
    /// </summary>
    private void Expire(long now)
    {
        for (var seq = _window.Head; seq != _window.Tail; seq++)
        {
            ref var e = ref _window.At(seq);
            if (e.State == InFlightWindow.EntryState.Done)
            {
                continue;
            }
            if (now - e.Start <= _deadlineTicks)
            {
                return;
            }
            GiveUp(seq, ref e, OpStatus.DeadlineExceeded, now);
        }
    }

    private void GiveUp(ulong seq, ref InFlightWindow.Entry e, OpStatus status, long now)
    {
        if (e.State == InFlightWindow.EntryState.InFlight)
        {
            _window.InFlight--;
            try
            {
                _port.Abandon(seq);
            }
            catch (Exception)
            {
                // The op is answered either way; its late completion is dropped by Reap.
            }
        }
        else if (e.State == InFlightWindow.EntryState.Unsubmitted)
        {
            _window.Unsubmitted--;
        }
        Finish(ref e, status, 0, now);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(ref InFlightWindow.Entry e, OpStatus status, int written, long now)
    {
        e.Status = status;
        e.Written = written;
        e.End = now;
        e.State = InFlightWindow.EntryState.Done;
    }

    /// <summary>
    /// Answers the finished ops at the head of the window, in order. Publishes the completion tail when
    /// <paramref name="force"/>d, or once a couple of microseconds passed since the last publication: every store to
    /// a line the guest polls costs a cache-line round trip, so cheap ops share one.
    /// </summary>
    private int Retire(long now, bool force)
    {
        var count = 0;
        long okOps = 0, okBytesIn = 0, okBytesOut = 0;
        while (_window.Head != _window.Tail)
        {
            ref var e = ref _window.At(_window.Head);
            if (e.State != InFlightWindow.EntryState.Done)
            {
                break;
            }
            var nanos = s_ticksAreNanos ? e.End - e.Start : (long)((e.End - e.Start) * s_nanosPerTick);
            CompletionEntry c;
            c.Tag = e.Tag;
            c.Status = e.Status;
            c.OutLength = (uint)e.Written;
            c.Value = e.Value;
            c.ServiceNanos = (ulong)Math.Max(0, nanos);
            Unsafe.WriteUnaligned(_cq + (long)((_cqTailLocal & _cqMask) * ChannelLayout.CompletionEntrySize), c);
            _cqTailLocal++;
            // Input bytes count only for the ops that read their input (the key of OpenSession, the data of Forward
            // and Inverse): a Nop or CloseSession ignores in_length, whatever the guest put there. Ok ops are counted
            // once for the visit, below.
            if (e.Status == OpStatus.Ok)
            {
                okOps++;
                okBytesIn += e.Op is OpCode.OpenSession or OpCode.Forward or OpCode.Inverse ? e.InLength : 0;
                okBytesOut += e.Written;
                Counters.Latency.Record(nanos);
            }
            else
            {
                Counters.RecordFailed(e.Status, nanos);
            }
            if (e.Status is OpStatus.DriverFault or OpStatus.DeadlineExceeded)
            {
                SignalDriverFault(e.Status);
            }
            if (e.Op is OpCode.Forward or OpCode.Inverse)
            {
                _window.RequestAt(_window.Head).Session = null;
            }
            _window.Head++;
            count++;
        }
        if (okOps != 0)
        {
            Counters.RecordOk(okOps, okBytesIn, okBytesOut);
        }
        if (_cqTailPublished != _cqTailLocal && (force || now - _published >= PublishTicks))
        {
            // Publication point: entries are complete before the guest can see the new tail.
            Volatile.Write(ref *_cqTail, _cqTailLocal);
            _cqTailPublished = _cqTailLocal;
            _published = now;
        }
        return count;
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

    /// <summary>True when draining is over: nothing left to serve or answer, the deadline passed, or the queue faulted.</summary>
    internal bool DrainFinished(long now)
    {
        if (State != ChannelState.Draining)
        {
            return true;
        }
        return (Volatile.Read(ref *_sqTail) == _sqHeadLocal && _window.Count == 0 && Feed is not { Idle: false }) || now > _drainDeadline;
    }

    /// <summary>Closes the queue for good: no more service, sessions wiped, removal reported.</summary>
    internal void Close()
    {
        var faulted = State == ChannelState.Faulted;
        var left = ulong.MaxValue;
        if (!faulted)
        {
            // Ops in the window were taken, so they are answered: as finished, or QueueClosing (abandoned in the driver).
            var now = Stopwatch.GetTimestamp();
            Reap(now);
            for (var seq = _window.Head; seq != _window.Tail; seq++)
            {
                ref var e = ref _window.At(seq);
                if (e.State != InFlightWindow.EntryState.Done)
                {
                    GiveUp(seq, ref e, OpStatus.QueueClosing, now);
                }
            }
            Retire(now, force: true);
            left = AnswerLeftovers();
            SetState(ChannelState.Closed);
        }
        Feed?.Close();
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
            Counters.RecordFailed(OpStatus.QueueClosing, 0);
        }
        Volatile.Write(ref *_sqHead, _sqHeadLocal);
        return available - n;
    }

    /// <summary>
    /// Puts <paramref name="next"/> behind the queue. Ops the old driver still holds are abandoned there and submitted
    /// again to the new one (crypto and compression ops can be redone: the output is simply written again), with their
    /// sessions rebuilt from the AC's copy of the keys, so the guest notices nothing.
    /// </summary>
    internal IGDriver Swap(IGDriver next)
    {
        var previous = _driver;
        var now = Stopwatch.GetTimestamp();
        Reap(now);
        // What the old driver finished is answered (and its faults signalled) under its own generation.
        Retire(now, force: false);
        for (var seq = _window.Head; seq != _window.Tail; seq++)
        {
            ref var e = ref _window.At(seq);
            if (e.State == InFlightWindow.EntryState.InFlight)
            {
                try
                {
                    _port.Abandon(seq);
                }
                catch (Exception)
                {
                    // It goes with the old driver.
                }
                e.State = InFlightWindow.EntryState.Unsubmitted;
                _window.InFlight--;
                _window.Unsubmitted++;
            }
        }
        _window.SubmitNext = _window.Head;
        try
        {
            _sessions.Rebind(previous, next);
        }
        catch (Exception)
        {
            // Sessions the new driver could not take are already wiped; ops on them complete BadSession.
        }
        IArenaDriver.Offer(next, Channel);
        Volatile.Write(ref _driver, next);
        _port = Port(next);
        _driverException = null;
        for (var seq = _window.Head; seq != _window.Tail; seq++)
        {
            ref var e = ref _window.At(seq);
            if (e.State != InFlightWindow.EntryState.Unsubmitted)
            {
                continue;
            }
            if (TrySession(e.Session, out var session))
            {
                _window.RequestAt(seq).Session = session;
            }
            else
            {
                _window.Unsubmitted--;
                Finish(ref e, OpStatus.BadSession, 0, now);
            }
        }
        DriverGeneration++;
        Channel.WriteU32(ChannelLayout.DriverGenerationOffset, DriverGeneration);
        Retire(now, force: true);
        return previous;
    }
}
