using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Guest;
using HdrHistogram;

namespace Fabric.Guest;

/// <summary>
/// A sample VM workload: opens its attachment's channel, opens a session with its own key, and keeps
/// <see cref="GuestWorkloadOptions.Batch"/> work items in flight, each with its own slots, posting new
/// ones in one burst and pacing them to the rate. Every descriptor it posts ends up counted exactly
/// once: answered Ok, answered with an error status, or lost (posted and never answered).
/// One instance runs once, on the calling thread; after set-up the loop allocates nothing.
/// </summary>
public sealed class GuestWorkload
{
    // Tag layout: [63..40] run id, [39..20] item sequence (low 20 bits), [19..16] phase, [15..0] lane.
    // The run id lets completions a previous guest left in the ring be told apart from ours.
    private const int PhaseShift = 16;
    private const int SeqShift = 20;
    private const int RunShift = 40;
    private const ulong LaneMask = 0xFFFF;
    private const ulong SeqMask = 0xFFFFF;
    private const ulong PhaseMask = 0xF;
    private const ulong TagForward = 1;
    private const ulong TagInverse = 2;
    private const ulong TagSession = 0xF;

    // Lane states.
    private const byte Idle = 0;
    private const byte ForwardQueued = 1;
    private const byte ForwardInFlight = 2;
    private const byte InverseQueued = 3;
    private const byte InverseInFlight = 4;

    private const int KeySlot = 0;

    /// <summary>Size of the key made for a run without a key file (what AEAD stages need; keyless stages ignore it).</summary>
    private const int AesKeySize = 32;

    // Statuses 0..11 by value; the last slot counts any value the ABI does not define.
    private const int StatusSlots = (int)OpStatus.BadKey + 2;

    /// <summary>Room left in an output slot for AEAD tags, appended digests and compression framing.</summary>
    public const int Headroom = 256;

    /// <summary>Room for the digest a hash-verify op appends after its data (the largest digest is 32 bytes).</summary>
    private const int DigestRoom = 64;

    private const long HistogramMaxNanos = 60_000_000_000L;
    private static readonly double s_nanosPerTick = 1e9 / Stopwatch.Frequency;
    private static readonly long s_maxWaitTicks = Stopwatch.Frequency / 10;

    private readonly GuestWorkloadOptions _options;
    private readonly IGuestProgressSink? _sink;
    private int _used;

    // Per-run state; arrays are sized once, before the loop.
    private GuestChannel _channel = null!;
    private int _lanes;
    private int _size;
    private int _slotSize;
    private uint _session;
    private ulong _runId;
    private uint _noncePrefix;
    private byte[] _phase = [];
    private ulong[] _seq = [];
    private long[] _submitTs = [];
    private uint[] _inLength = [];
    private int[] _free = [];
    private int _freeCount;
    private SubmissionDescriptor[] _pending = [];
    private int _pendingCount;
    private CompletionEntry[] _completions = [];
    private readonly long[] _errors = new long[StatusSlots];
    private ulong _itemSeq;
    private long _started;
    private long _submitted;
    private long _completed;
    private long _ok;
    private long _unmatched;
    private long _integrityFailures;
    private long _items;
    private long _bytes;
    private bool _stopping;
    private StopReason _reason = StopReason.NotStarted;
    private bool _channelGone;
    private long _lastProgressTs;
    private LongHistogram _total = null!;
    private string? _function;
    private TimeSpan? _opDeadline;
    private LongHistogram _interval = null!;

    // Progress interval bookkeeping.
    private long _startTs;
    private long _nextReportTs;
    private long _lastReportTs;
    private long _lastReportCompleted;
    private long _lastReportBytes;
    private long _endTs;


    public GuestWorkload(GuestWorkloadOptions options, IGuestProgressSink? sink = null)
    {
        _options = options;
        _sink = sink;
    }

    public GuestWorkloadOptions Options => _options;

    /// <summary>Runs on a dedicated thread (the loop polls and spins; it must not hold a pool thread).</summary>
    public Task<GuestResult> RunAsync(CancellationToken cancel) =>
        Task.Factory.StartNew(() => Run(cancel), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Runs the workload to its end on the calling thread; never throws for channel or input problems (see the result).</summary>
    public GuestResult Run(CancellationToken cancel)
    {
        if (Interlocked.Exchange(ref _used, 1) != 0)
        {
            throw new InvalidOperationException("a GuestWorkload runs once; create a new one for another run");
        }
        var problem = _options.Validate();
        if (problem is not null)
        {
            return NotStarted(GuestExitCodes.BadInput, StopReason.NotStarted, problem);
        }
        GuestChannel channel;
        try
        {
            channel = GuestChannel.Open(_options.ChannelPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return NotStarted(GuestExitCodes.NoChannel, StopReason.NotStarted,
                $"no channel at {_options.ChannelPath}: give the channel path from the attachment's attach handle (a socket in the node's channel folder, e.g. {ChannelFile.DefaultDirectory}/<node>-<port>/)");
        }
        catch (InvalidDataException e)
        {
            return NotStarted(GuestExitCodes.NoChannel, StopReason.NotStarted, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            return NotStarted(GuestExitCodes.NoChannel, StopReason.NotStarted,
                $"cannot map {_options.ChannelPath} read-write ({e.Message}): run as a user allowed to open the channel");
        }
        catch (IOException e)
        {
            return NotStarted(GuestExitCodes.NoChannel, StopReason.NotStarted,
                $"cannot open channel {_options.ChannelPath}: {e.Message}");
        }
        using (channel)
        {
            _channel = channel;
            // What serves the channel (ABI v2 header; null on a v1 channel): reported with the result.
            _function = channel.Function;
            _opDeadline = channel.OpDeadline;
            return RunOn(cancel);
        }
    }

    private GuestResult RunOn(CancellationToken cancel)
    {
        var o = _options;
        _lanes = o.Batch;
        _size = o.Op == GuestOp.Nop ? 0 : o.Size;
        _slotSize = _channel.SlotSize;
        var problem = CheckFits();
        if (problem is not null)
        {
            return NotStarted(GuestExitCodes.BadInput, StopReason.NotStarted, problem);
        }
        var state = _channel.State;
        if (state is ChannelState.Draining or ChannelState.Closed or ChannelState.Faulted)
        {
            return NotStarted(GuestExitCodes.ChannelLost, ReasonFor(state),
                $"channel {o.ChannelPath} is {state}: its queue was removed or stopped; ask the VIM for the attachment's current channel");
        }

        _runId = (ulong)RandomNumberGenerator.GetInt32(1, 1 << 24);
        _noncePrefix = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
        _phase = new byte[_lanes];
        _seq = new ulong[_lanes];
        _submitTs = new long[_lanes];
        _inLength = new uint[_lanes];
        _free = new int[_lanes];
        _pending = new SubmissionDescriptor[_lanes];
        _completions = new CompletionEntry[_lanes];
        for (var lane = 0; lane < _lanes; lane++)
        {
            // Popped from the end: lane 0 goes first.
            _free[lane] = _lanes - 1 - lane;
        }
        _freeCount = _lanes;
        _total = new LongHistogram(HistogramMaxNanos, 3);
        _interval = new LongHistogram(HistogramMaxNanos, 3);

        // A reopened channel keeps its indices: answers a previous guest never reaped are not ours.
        int stale;
        while ((stale = _channel.Poll(_completions)) > 0)
        {
            _unmatched += stale;
        }

        var sessionFailure = OpenSession();
        if (sessionFailure is not null)
        {
            return sessionFailure;
        }
        FillPayload();
        Loop(cancel);
        if (!_channelGone && _submitted == _completed)
        {
            TryCloseSession();
        }
        return Result();
    }

    private string? CheckFits()
    {
        var o = _options;
        var perLane = o.Op switch
        {
            GuestOp.Nop => 0,
            GuestOp.HashVerify => 1,
            GuestOp.Forward => 2,
            _ => 3,
        };
        var needed = 1 + (long)_lanes * perLane;
        if (needed > _channel.SlotCount)
        {
            return $"channel {o.ChannelPath} has {_channel.SlotCount} buffer slots; --batch {_lanes} with --op {GuestOps.NameOf(o.Op)} needs {needed} "
                + $"(one for the key, {perLane} per item in flight): use --batch {Math.Max(1, (_channel.SlotCount - 1) / Math.Max(1, perLane))} or less";
        }
        var ring = Math.Min(_channel.SqEntries, _channel.CqEntries);
        if (_lanes > ring)
        {
            return $"--batch {_lanes} is more than the channel's rings hold ({ring} entries): use --batch {ring} or less";
        }
        var room = o.Op == GuestOp.HashVerify ? DigestRoom : Headroom;
        if (o.Op != GuestOp.Nop && (long)o.Size + room > _slotSize)
        {
            return $"--size {o.Size} does not fit the channel's {_slotSize}-byte slots with {room} bytes to spare for tags, digests and framing: use --size {_slotSize - room} or less";
        }
        var keyLength = o.Key?.Length ?? AesKeySize;
        if (keyLength > _slotSize)
        {
            return $"the key is {keyLength} bytes, more than a {_slotSize}-byte slot holds: use a shorter key";
        }
        return null;
    }

    /// <summary>
    /// Posts OpenSession with the key in slot 0, waits for the answer with this run's tag, and wipes the
    /// slot (the key goes from this process to the AC only). Null when the session is open.
    /// </summary>
    private GuestResult? OpenSession()
    {
        // aes-128-* functions take 16-byte keys only.
        var generated = _options.Key is null ? RandomNumberGenerator.GetBytes(_function?.StartsWith("aes-128-", StringComparison.Ordinal) == true ? 16 : AesKeySize) : null;
        var key = generated ?? _options.Key!;
        var slot = _channel.Slot(KeySlot);
        key.CopyTo(slot);
        try
        {
            var d = new SubmissionDescriptor
            {
                Tag = (_runId << RunShift) | (TagSession << PhaseShift),
                Op = OpCode.OpenSession,
                InSlot = KeySlot,
                InLength = (uint)key.Length,
            };
            var timeoutTicks = (long)(_options.Timeout.TotalSeconds * Stopwatch.Frequency);
            var deadline = Stopwatch.GetTimestamp() + timeoutTicks;
            var backoff = new SpinThenSleep();
            while (!_channel.TrySubmit(d))
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    return NotStarted(GuestExitCodes.ChannelLost, StopReason.NoAnswer,
                        $"the submission ring of {_options.ChannelPath} stayed full for {_options.Timeout.TotalSeconds:0.###} s (channel {_channel.State}): the AC is not serving this channel; check the node");
                }
                backoff.Pause();
            }
            while (true)
            {
                var remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0 || !_channel.Wait(out var c, TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency)))
                {
                    var state = _channel.State;
                    var reason = state is ChannelState.Closed or ChannelState.Faulted or ChannelState.Draining ? ReasonFor(state) : StopReason.NoAnswer;
                    return NotStarted(GuestExitCodes.ChannelLost, reason,
                        $"no answer to OpenSession on {_options.ChannelPath} within {_options.Timeout.TotalSeconds:0.###} s (channel {state}): "
                        + (state == ChannelState.Created ? "the AC has not started serving it yet; check the node" : "the AC is gone or the queue was removed; check the node"));
                }
                if (c.Tag != d.Tag)
                {
                    _unmatched++;
                    continue;
                }
                if (c.Status == OpStatus.BadKey)
                {
                    return NotStarted(GuestExitCodes.BadInput, StopReason.SessionFailed,
                        $"the queue refused the {key.Length}-byte key (BadKey): aes-256-gcm takes 16, 24 or 32 bytes and chacha20-poly1305 exactly 32; give such a --key-file, or leave it out for a random key");
                }
                if (c.Status != OpStatus.Ok)
                {
                    return NotStarted(GuestExitCodes.Failed, StopReason.SessionFailed,
                        $"OpenSession on {_options.ChannelPath} failed with {c.Status}"
                        + (c.Status == OpStatus.SessionTableFull ? ": the channel's session table is full; stop other guests on it or re-create the attachment" : ""));
                }
                _session = (uint)c.Value;
                return null;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(slot[..key.Length]);
            if (generated is not null)
            {
                CryptographicOperations.ZeroMemory(generated);
            }
        }
    }

    private void TryCloseSession()
    {
        try
        {
            _channel.CloseSession(_session, _options.Timeout < TimeSpan.FromSeconds(1) ? _options.Timeout : TimeSpan.FromSeconds(1));
        }
        catch (TimeoutException)
        {
            // The AC wipes the session's key when the queue is removed anyway.
        }
    }

    private void FillPayload()
    {
        if (_options.Op == GuestOp.Nop)
        {
            return;
        }
        ReadOnlySpan<byte> text = "Fabric guest workload: the quick brown fox jumps over the lazy dog. 0123456789\n"u8;
        for (var lane = 0; lane < _lanes; lane++)
        {
            var data = _channel.Slot(InSlot(lane))[.._size];
            switch (_options.Payload)
            {
                case PayloadKind.Text:
                    for (var at = 0; at < data.Length; at += text.Length)
                    {
                        var n = Math.Min(text.Length, data.Length - at);
                        text[..n].CopyTo(data[at..]);
                    }
                    break;
                case PayloadKind.Zero:
                    data.Clear();
                    break;
                default:
                    RandomNumberGenerator.Fill(data);
                    break;
            }
        }
    }

    private int InSlot(int lane) => 1 + lane;

    private int OutSlot(int lane) => 1 + _lanes + lane;

    private int BackSlot(int lane) => 1 + 2 * _lanes + lane;

    private void Loop(CancellationToken cancel)
    {
        var o = _options;
        var freq = Stopwatch.Frequency;
        var opsPerItem = GuestOps.OpsPerItem(o.Op);
        var countLimit = o.Count is { } count ? (count + opsPerItem - 1) / opsPerItem * opsPerItem : long.MaxValue;
        var timeoutTicks = (long)(o.Timeout.TotalSeconds * freq);
        var cancelTimeoutTicks = Math.Min(timeoutTicks, 2 * freq);
        var intervalTicks = Math.Max(1, (long)(o.ProgressInterval.TotalSeconds * freq));
        var rate = o.Rate;
        _startTs = Stopwatch.GetTimestamp();
        var deadline = o.Duration is { } d ? _startTs + (long)(d.TotalSeconds * freq) : long.MaxValue;
        _lastReportTs = _startTs;
        _nextReportTs = _startTs + intervalTicks;
        _lastProgressTs = _startTs;

        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (!_stopping)
            {
                if (cancel.IsCancellationRequested)
                {
                    Stop(StopReason.Cancelled);
                }
                else if (now >= deadline)
                {
                    Stop(StopReason.Duration);
                }
                else if (_started >= countLimit)
                {
                    Stop(StopReason.Count);
                }
            }
            var state = _channel.State;
            if (state is ChannelState.Draining or ChannelState.Closed or ChannelState.Faulted && !_channelGone)
            {
                // The queue is going away: post nothing new, let the AC answer what it already took.
                _channelGone = true;
                _reason = ReasonFor(state);
                _stopping = true;
                DropQueued();
            }

            var nextToken = long.MaxValue;
            if (!_stopping && _freeCount > 0)
            {
                var budget = countLimit - _started;
                if (rate > 0)
                {
                    var allowed = (long)(rate * (now - _startTs) / freq) + opsPerItem;
                    budget = Math.Min(budget, allowed - _started);
                    // When the next item may start: rate * elapsed >= started.
                    nextToken = _startTs + (long)(_started / rate * freq);
                }
                if (budget >= opsPerItem)
                {
                    StartItems((int)Math.Min(_freeCount, budget / opsPerItem), now);
                }
            }
            if (_pendingCount > 0)
            {
                Post(now);
            }

            var outstanding = _submitted - _completed;
            if (outstanding == 0 && _pendingCount == 0)
            {
                if (_stopping)
                {
                    break;
                }
                // Idle only because of the rate: sleep until the next item is due (not per op, and
                // never when the rate is unlimited, since then there is always a free lane to fill).
                IdleUntil(Math.Min(Math.Min(nextToken, deadline), _nextReportTs), cancel);
                ReportIfDue(Stopwatch.GetTimestamp(), intervalTicks);
                continue;
            }

            var n = _channel.Poll(_completions);
            if (n == 0)
            {
                var until = Math.Min(_nextReportTs, s_maxWaitTicks + now);
                if (!_stopping)
                {
                    until = Math.Min(until, Math.Min(deadline, _freeCount > 0 ? nextToken : long.MaxValue));
                }
                var slice = until - now;
                if (slice > 0)
                {
                    n = _channel.Wait(_completions, TimeSpan.FromSeconds((double)slice / freq));
                }
            }
            now = Stopwatch.GetTimestamp();
            if (n > 0)
            {
                _lastProgressTs = now;
                for (var i = 0; i < n; i++)
                {
                    Complete(in _completions[i], now);
                }
            }
            else
            {
                state = _channel.State;
                if (state is ChannelState.Closed or ChannelState.Faulted)
                {
                    // Nothing more will come: whatever is still out is lost.
                    _channelGone = true;
                    if (_reason is not (StopReason.ChannelDraining or StopReason.ChannelClosed or StopReason.ChannelFaulted))
                    {
                        _reason = ReasonFor(state);
                    }
                    break;
                }
                var limit = cancel.IsCancellationRequested ? cancelTimeoutTicks : timeoutTicks;
                if (now - _lastProgressTs > limit)
                {
                    _channelGone = true;
                    _reason = StopReason.NoAnswer;
                    break;
                }
            }
            ReportIfDue(now, intervalTicks);
        }
        // No last partial-interval line: the summary covers the whole run.
        _endTs = Stopwatch.GetTimestamp();
    }

    private void Stop(StopReason reason)
    {
        _stopping = true;
        if (_reason == StopReason.NotStarted)
        {
            _reason = reason;
        }
    }

    private void IdleUntil(long until, CancellationToken cancel)
    {
        var remaining = until - Stopwatch.GetTimestamp();
        if (remaining <= 0)
        {
            return;
        }
        var ms = (int)Math.Min(100, remaining * 1000 / Stopwatch.Frequency);
        if (ms >= 1)
        {
            cancel.WaitHandle.WaitOne(ms);
        }
        else
        {
            Thread.Yield();
        }
    }

    /// <summary>Queues a Forward for <paramref name="count"/> free lanes; posted together by <see cref="Post"/>.</summary>
    private void StartItems(int count, long now)
    {
        if (_submitted == _completed && _pendingCount == 0)
        {
            // Nothing was outstanding: the answer clock starts now, not at the last answer.
            _lastProgressTs = now;
        }
        var opsPerItem = GuestOps.OpsPerItem(_options.Op);
        for (var i = 0; i < count; i++)
        {
            var lane = _free[--_freeCount];
            var seq = ++_itemSeq;
            _seq[lane] = seq;
            _phase[lane] = ForwardQueued;
            ref var d = ref _pending[_pendingCount++];
            d = default;
            d.Tag = MakeTag(seq, TagForward, lane);
            d.Session = _session;
            if (_options.Op == GuestOp.Nop)
            {
                d.Op = OpCode.Nop;
            }
            else
            {
                d.Op = OpCode.Forward;
                d.InSlot = (uint)InSlot(lane);
                d.InLength = (uint)_size;
                if (_options.Op == GuestOp.HashVerify)
                {
                    // The digest lands right after the data, so the verify reads data || digest in place.
                    d.OutSlot = d.InSlot;
                    d.OutOffset = (uint)_size;
                    d.OutCapacity = (uint)(_slotSize - _size);
                }
                else
                {
                    d.OutSlot = (uint)OutSlot(lane);
                    d.OutCapacity = (uint)_slotSize;
                }
                WriteNonce(ref d, seq);
            }
            _inLength[lane] = d.InLength;
            _started += opsPerItem;
        }
    }

    private void QueueInverse(int lane, uint forwardLength)
    {
        _phase[lane] = InverseQueued;
        ref var d = ref _pending[_pendingCount++];
        d = default;
        d.Tag = MakeTag(_seq[lane], TagInverse, lane);
        d.Op = OpCode.Inverse;
        d.Session = _session;
        if (_options.Op == GuestOp.HashVerify)
        {
            d.InSlot = (uint)InSlot(lane);
            d.InLength = (uint)_size + forwardLength;
            // Verify writes nothing: an empty output range, which overlaps nothing.
            d.OutSlot = d.InSlot;
        }
        else
        {
            d.InSlot = (uint)OutSlot(lane);
            d.InLength = forwardLength;
            d.OutSlot = (uint)BackSlot(lane);
            d.OutCapacity = (uint)_slotSize;
        }
        WriteNonce(ref d, _seq[lane]);
        _inLength[lane] = d.InLength;
    }

    /// <summary>A unique nonce per item under this key: a random per-run prefix and the item sequence.</summary>
    private void WriteNonce(ref SubmissionDescriptor d, ulong seq)
    {
        Span<byte> p = d.Param;
        BinaryPrimitives.WriteUInt32LittleEndian(p, _noncePrefix);
        BinaryPrimitives.WriteUInt64LittleEndian(p[4..], seq);
    }

    private ulong MakeTag(ulong seq, ulong phase, int lane) =>
        (_runId << RunShift) | ((seq & SeqMask) << SeqShift) | (phase << PhaseShift) | (uint)lane;

    /// <summary>Posts the queued descriptors in one burst (one index store); what does not fit stays queued.</summary>
    private void Post(long now)
    {
        var posted = _channel.SubmitBatch(_pending.AsSpan(0, _pendingCount));
        if (posted == 0)
        {
            return;
        }
        for (var i = 0; i < posted; i++)
        {
            var lane = (int)(_pending[i].Tag & LaneMask);
            _submitTs[lane] = now;
            _phase[lane] = _phase[lane] == ForwardQueued ? ForwardInFlight : InverseInFlight;
        }
        _submitted += posted;
        _lastProgressTs = now;
        if (posted < _pendingCount)
        {
            _pending.AsSpan(posted, _pendingCount - posted).CopyTo(_pending);
        }
        _pendingCount -= posted;
    }

    /// <summary>The channel is going away: queued (never posted) work is abandoned, its lanes freed.</summary>
    private void DropQueued()
    {
        for (var i = 0; i < _pendingCount; i++)
        {
            var lane = (int)(_pending[i].Tag & LaneMask);
            _phase[lane] = Idle;
            _free[_freeCount++] = lane;
        }
        _pendingCount = 0;
    }

    private void Complete(in CompletionEntry c, long now)
    {
        var lane = (int)(c.Tag & LaneMask);
        var phase = (c.Tag >> PhaseShift) & PhaseMask;
        if ((c.Tag >> RunShift) != _runId
            || lane >= _lanes
            || ((c.Tag >> SeqShift) & SeqMask) != (_seq[lane] & SeqMask)
            || !(phase == TagForward ? _phase[lane] == ForwardInFlight : phase == TagInverse && _phase[lane] == InverseInFlight))
        {
            _unmatched++;
            return;
        }
        _completed++;
        var nanos = (long)((now - _submitTs[lane]) * s_nanosPerTick);
        nanos = Math.Clamp(nanos, 0, HistogramMaxNanos);
        _total.RecordValue(nanos);
        _interval.RecordValue(nanos);
        var ok = c.Status == OpStatus.Ok;
        if (ok)
        {
            _ok++;
            _bytes += _inLength[lane];
        }
        else
        {
            var s = (int)c.Status;
            _errors[(uint)s < StatusSlots - 1 ? s : StatusSlots - 1]++;
        }

        if (phase == TagForward)
        {
            if (ok && _options.Op is GuestOp.RoundTrip or GuestOp.HashVerify && !_channelGone)
            {
                // Finish the round trip even when stopping, so every started item gets its check.
                QueueInverse(lane, c.OutLength);
                return;
            }
        }
        else if (IntegrityFailed(lane, c))
        {
            _integrityFailures++;
        }
        _phase[lane] = Idle;
        _free[_freeCount++] = lane;
        _items++;
    }

    private bool IntegrityFailed(int lane, in CompletionEntry c)
    {
        // A tag or digest that no longer verifies, or a stream that no longer decodes, means the bytes
        // the AC gave us did not come back; other errors (a faulty device, a closing queue) say nothing about the data.
        if (c.Status is OpStatus.AuthFailed or OpStatus.BadInput)
        {
            return true;
        }
        if (c.Status != OpStatus.Ok || _options.Op != GuestOp.RoundTrip)
        {
            return false;
        }
        return c.OutLength != (uint)_size
            || !_channel.Slot(BackSlot(lane))[.._size].SequenceEqual(_channel.Slot(InSlot(lane))[.._size]);
    }

    private void ReportIfDue(long now, long intervalTicks)
    {
        if (_sink is null || now < _nextReportTs)
        {
            return;
        }
        var seconds = (double)(now - _lastReportTs) / Stopwatch.Frequency;
        var ops = _completed - _lastReportCompleted;
        var bytes = _bytes - _lastReportBytes;
        var hasLatency = _interval.TotalCount > 0;
        var progress = new GuestProgress(
            Stopwatch.GetElapsedTime(_startTs, now),
            _submitted,
            _ok,
            _completed - _ok,
            _submitted - _completed,
            _integrityFailures,
            seconds > 0 ? ops / seconds : 0,
            seconds > 0 ? bytes / seconds / 1e6 : 0,
            hasLatency ? _interval.GetValueAtPercentile(50) / 1000.0 : 0,
            hasLatency ? _interval.GetValueAtPercentile(99) / 1000.0 : 0);
        _interval.Reset();
        _lastReportTs = now;
        _lastReportCompleted = _completed;
        _lastReportBytes = _bytes;
        _nextReportTs += intervalTicks;
        if (_nextReportTs <= now)
        {
            // Fell behind (a long wait): report on the interval from now rather than several at once.
            _nextReportTs = now + intervalTicks;
        }
        _sink.Report(progress);
    }

    private static StopReason ReasonFor(ChannelState state) => state switch
    {
        ChannelState.Draining => StopReason.ChannelDraining,
        ChannelState.Faulted => StopReason.ChannelFaulted,
        _ => StopReason.ChannelClosed,
    };

    private GuestResult NotStarted(int exitCode, StopReason reason, string message) => new()
    {
        ChannelPath = _options.ChannelPath,
        Op = _options.Op,
        Size = _options.Size,
        Batch = _options.Batch,
        Rate = _options.Rate,
        StoppedBy = reason,
        Message = message,
        Unmatched = _unmatched,
        ExitCode = exitCode,
    };

    private GuestResult Result()
    {
        var errors = new Dictionary<OpStatus, long>();
        for (var s = 0; s < StatusSlots; s++)
        {
            if (_errors[s] > 0)
            {
                errors[(OpStatus)(s < StatusSlots - 1 ? s : -1)] = _errors[s];
            }
        }
        var lost = _submitted - _completed;
        var seconds = (double)(_endTs - _startTs) / Stopwatch.Frequency;
        var hasLatency = _total.TotalCount > 0;
        var exit = _channelGone ? GuestExitCodes.ChannelLost
            : _integrityFailures > 0 ? GuestExitCodes.Failed
            : GuestExitCodes.Ok;
        return new GuestResult
        {
            ChannelPath = _options.ChannelPath,
            Op = _options.Op,
            Size = _options.Size,
            Batch = _options.Batch,
            Rate = _options.Rate,
            StoppedBy = _reason,
            Message = MessageFor(lost),
            Submitted = _submitted,
            Ok = _ok,
            ErrorsByStatus = errors,
            Lost = lost,
            Unmatched = _unmatched,
            IntegrityFailures = _integrityFailures,
            Items = _items,
            Bytes = _bytes,
            Seconds = seconds,
            P50Micros = hasLatency ? _total.GetValueAtPercentile(50) / 1000.0 : 0,
            P99Micros = hasLatency ? _total.GetValueAtPercentile(99) / 1000.0 : 0,
            MaxMicros = hasLatency ? _total.GetMaxValue() / 1000.0 : 0,
            Function = _function,
            OpDeadline = _opDeadline,
            ExitCode = exit,
        };
    }

    private string? MessageFor(long lost)
    {
        var path = _options.ChannelPath;
        var counts = $"{_submitted} submitted, {_ok} ok, {_completed - _ok} errors, {lost} lost";
        return _reason switch
        {
            StopReason.ChannelDraining => $"the queue behind {path} is being removed (channel Draining): the attachment was detached or moved; stopped with {counts}",
            StopReason.ChannelClosed => $"the queue behind {path} was closed: the attachment was detached or its node stopped; stopped with {counts}",
            StopReason.ChannelFaulted => $"the AC stopped serving {path} (channel Faulted: a ring index was corrupt); stopped with {counts}",
            StopReason.NoAnswer => $"no answer on {path} for {_options.Timeout.TotalSeconds:0.###} s: the AC is gone or stuck; check the node; stopped with {counts}",
            _ when _integrityFailures > 0 => $"{_integrityFailures} round trips did not give back the bytes that went in: the queue's chain corrupts data",
            _ => null,
        };
    }
}
