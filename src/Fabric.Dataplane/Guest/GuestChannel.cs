using System.Diagnostics;
using System.Runtime.CompilerServices;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Guest;

/// <summary>
/// The guest s-API: maps a channel (received over the node's socket, or a file in path mode), posts descriptors to the submission ring and reaps completions.
/// Single-threaded by design (one producer, one consumer per ring); use one channel per guest thread.
/// Nothing here allocates after <see cref="Open"/>.
/// </summary>
public sealed unsafe class GuestChannel : IDisposable
{
    private readonly ChannelFile _file;
    private readonly byte* _sq;
    private readonly byte* _cq;
    private readonly byte* _arena;
    private readonly ulong* _sqTail;
    private readonly ulong* _sqHead;
    private readonly ulong* _cqTail;
    private readonly ulong* _cqHead;
    private readonly ulong _sqMask;
    private readonly ulong _cqMask;

    // Guest-owned indices live in private fields; shared memory only receives copies.
    private ulong _sqTailLocal;
    private ulong _sqHeadCache;
    private ulong _cqHeadLocal;

    private GuestChannel(ChannelFile file)
    {
        _file = file;
        var b = file.Base;
        SqEntries = (int)file.ReadU32(ChannelLayout.SqEntriesOffset);
        CqEntries = (int)file.ReadU32(ChannelLayout.CqEntriesOffset);
        SlotCount = (int)file.ReadU32(ChannelLayout.SlotCountOffset);
        SlotSize = (int)file.ReadU32(ChannelLayout.SlotSizeOffset);
        Epoch = file.ReadU64(ChannelLayout.EpochOffset);
        AbiVersion = file.ReadU32(ChannelLayout.AbiVersionOffset);
        _sq = b + (long)file.ReadU64(ChannelLayout.SqOffsetOffset);
        _cq = b + (long)file.ReadU64(ChannelLayout.CqOffsetOffset);
        _arena = b + (long)file.ReadU64(ChannelLayout.ArenaOffsetOffset);
        _sqTail = (ulong*)(b + ChannelLayout.SqTailOffset);
        _sqHead = (ulong*)(b + ChannelLayout.SqHeadOffset);
        _cqTail = (ulong*)(b + ChannelLayout.CqTailOffset);
        _cqHead = (ulong*)(b + ChannelLayout.CqHeadOffset);
        _sqMask = (ulong)SqEntries - 1;
        _cqMask = (ulong)CqEntries - 1;
        // Resume where a previous guest left off (a reopened channel keeps its indices).
        _sqTailLocal = Volatile.Read(ref *_sqTail);
        _sqHeadCache = Volatile.Read(ref *_sqHead);
        _cqHeadLocal = Volatile.Read(ref *_cqHead);
    }

    public int SqEntries { get; }
    public int CqEntries { get; }
    public int SlotCount { get; }
    public int SlotSize { get; }
    public ulong Epoch { get; }

    /// <summary>The channel's ABI version (1 or 2): a v1 channel does not tell its function or deadline.</summary>
    public uint AbiVersion { get; }

    /// <summary>
    /// The function the queue runs ("aes-256-gcm", "deflate->aes-256-gcm->sha256"), read from the header (ABI v2); null
    /// for a v1 channel, before the AC has made the channel Active, or when the field does not hold a valid name.
    /// Fixed for the channel's life (a driver swap keeps the function). Allocates: read it once, not per op.
    /// </summary>
    public string? Function
    {
        get
        {
            if (AbiVersion < 2 || State == ChannelState.Created)
            {
                return null;
            }
            var length = _file.ReadU32(ChannelLayout.FunctionLengthOffset);
            if (length is 0 or > ChannelLayout.MaxFunctionBytes)
            {
                return null;
            }
            var bytes = new ReadOnlySpan<byte>(_file.Base + ChannelLayout.FunctionOffset, (int)length);
            return System.Text.Ascii.IsValid(bytes) ? System.Text.Encoding.ASCII.GetString(bytes) : null;
        }
    }

    /// <summary>
    /// The queue's op deadline (ABI v2): an op the AC has not finished this long after it took it completes
    /// DeadlineExceeded. Null for a v1 channel or before the channel is Active. A sensible wait for one completion is a
    /// few times this, plus the queue's backlog.
    /// </summary>
    public TimeSpan? OpDeadline
    {
        get
        {
            if (AbiVersion < 2 || State == ChannelState.Created)
            {
                return null;
            }
            var nanos = _file.ReadU64(ChannelLayout.DeadlineNanosOffset);
            return nanos is 0 or > (ulong)long.MaxValue / 2 ? null : TimeSpan.FromTicks((long)(nanos / 100));
        }
    }
    public string Path => _file.Path;

    public ChannelState State => _file.State;

    /// <summary>Descriptors posted and not yet taken by the AC.</summary>
    public int PendingSubmissions => (int)(_sqTailLocal - Volatile.Read(ref *_sqHead));

    /// <summary>
    /// Opens the channel an attach handle names and checks its header: when <paramref name="path"/> is a Unix
    /// socket (the default), the node hands over the sealed channel through it; otherwise the path is a channel
    /// file (the node's debugging path mode). Throws <see cref="InvalidDataException"/> saying what is wrong,
    /// <see cref="FileNotFoundException"/>, <see cref="UnauthorizedAccessException"/> or <see cref="IOException"/>.
    /// </summary>
    public static GuestChannel Open(string path) => Open(path, TimeSpan.FromSeconds(10));

    /// <inheritdoc cref="Open(string)"/>
    public static GuestChannel Open(string path, TimeSpan handoffTimeout)
    {
        var file = Handoff.ChannelClient.IsChannelSocket(path)
            ? ChannelFile.OpenDescriptor(Handoff.ChannelClient.Receive(path, handoffTimeout), path)
            : ChannelFile.OpenExisting(path);
        try
        {
            var problem = CheckHeader(file);
            if (problem is not null)
            {
                throw new InvalidDataException($"channel file {path}: {problem}");
            }
            return new GuestChannel(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static string? CheckHeader(ChannelFile f)
    {
        if (f.ReadU64(ChannelLayout.MagicOffset) != ChannelLayout.Magic)
        {
            return "bad magic: not a Fabric channel, or the AC has not finished creating it";
        }
        var version = f.ReadU32(ChannelLayout.AbiVersionOffset);
        if (version < ChannelLayout.MinAbiVersion || version > ChannelLayout.AbiVersion)
        {
            return $"ABI version {version}, this library speaks {ChannelLayout.MinAbiVersion} to {ChannelLayout.AbiVersion}: upgrade the guest library or the node";
        }
        if (f.ReadU32(ChannelLayout.SqEntrySizeOffset) != ChannelLayout.SubmissionEntrySize
            || f.ReadU32(ChannelLayout.CqEntrySizeOffset) != ChannelLayout.CompletionEntrySize
            || f.ReadU32(ChannelLayout.HeaderSizeOffset) != ChannelLayout.HeaderSize)
        {
            return "entry or header sizes differ from the ABI's (64-byte descriptors, 32-byte completions, 4096-byte header)";
        }
        var g = new ChannelGeometry(
            (int)Math.Min(f.ReadU32(ChannelLayout.SqEntriesOffset), int.MaxValue),
            (int)Math.Min(f.ReadU32(ChannelLayout.CqEntriesOffset), int.MaxValue),
            (int)Math.Min(f.ReadU32(ChannelLayout.SlotCountOffset), int.MaxValue),
            (int)Math.Min(f.ReadU32(ChannelLayout.SlotSizeOffset), int.MaxValue),
            (int)Math.Min(f.ReadU32(ChannelLayout.MaxSessionsOffset), int.MaxValue));
        var problem = g.Validate();
        if (problem is not null)
        {
            return problem;
        }
        if (f.ReadU64(ChannelLayout.SqOffsetOffset) != (ulong)g.SqOffset
            || f.ReadU64(ChannelLayout.CqOffsetOffset) != (ulong)g.CqOffset
            || f.ReadU64(ChannelLayout.ArenaOffsetOffset) != (ulong)g.ArenaOffset
            || f.ReadU64(ChannelLayout.FileSizeOffset) != (ulong)g.FileSize
            || f.Length < g.FileSize)
        {
            return "region offsets or file size do not match the sizes in the header (truncated or corrupt file)";
        }
        return null;
    }

    /// <summary>Zero-copy view of one buffer slot.</summary>
    public Span<byte> Slot(int slot)
    {
        if ((uint)slot >= (uint)SlotCount)
        {
            ThrowSlot(slot);
        }
        return new Span<byte>(_arena + (long)slot * SlotSize, SlotSize);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowSlot(int slot) =>
        throw new ArgumentOutOfRangeException(nameof(slot), slot, $"slot must be in [0, {SlotCount})");

    /// <summary>Free submission entries, refreshing the cached consumer index only when needed.</summary>
    public int FreeSubmissionEntries
    {
        get
        {
            var used = _sqTailLocal - _sqHeadCache;
            if (used >= (ulong)SqEntries)
            {
                _sqHeadCache = Volatile.Read(ref *_sqHead);
                used = _sqTailLocal - _sqHeadCache;
            }
            return SqEntries - (int)Math.Min(used, (ulong)SqEntries);
        }
    }

    /// <summary>Posts one descriptor; false when the submission ring is full.</summary>
    public bool TrySubmit(in SubmissionDescriptor descriptor)
    {
        if (_sqTailLocal - _sqHeadCache >= (ulong)SqEntries)
        {
            _sqHeadCache = Volatile.Read(ref *_sqHead);
            if (_sqTailLocal - _sqHeadCache >= (ulong)SqEntries)
            {
                return false;
            }
        }
        Unsafe.WriteUnaligned(_sq + (long)((_sqTailLocal & _sqMask) * ChannelLayout.SubmissionEntrySize), descriptor);
        // Publication point: the entry is written before the AC can see the new tail.
        Volatile.Write(ref *_sqTail, ++_sqTailLocal);
        return true;
    }

    /// <summary>Posts as many descriptors as fit with one index update (a burst); returns how many were posted.</summary>
    public int SubmitBatch(ReadOnlySpan<SubmissionDescriptor> batch)
    {
        var free = (ulong)SqEntries - (_sqTailLocal - _sqHeadCache);
        if (free < (ulong)batch.Length)
        {
            _sqHeadCache = Volatile.Read(ref *_sqHead);
            free = (ulong)SqEntries - (_sqTailLocal - _sqHeadCache);
        }
        var n = (int)Math.Min(free, (ulong)batch.Length);
        var tail = _sqTailLocal;
        for (var i = 0; i < n; i++)
        {
            Unsafe.WriteUnaligned(_sq + (long)(((tail + (ulong)i) & _sqMask) * ChannelLayout.SubmissionEntrySize), batch[i]);
        }
        if (n > 0)
        {
            _sqTailLocal = tail + (ulong)n;
            Volatile.Write(ref *_sqTail, _sqTailLocal);
        }
        return n;
    }

    /// <summary>Reaps one completion if there is one.</summary>
    public bool TryPoll(out CompletionEntry completion)
    {
        var tail = Volatile.Read(ref *_cqTail);
        if (tail == _cqHeadLocal)
        {
            completion = default;
            return false;
        }
        completion = Unsafe.ReadUnaligned<CompletionEntry>(_cq + (long)((_cqHeadLocal & _cqMask) * ChannelLayout.CompletionEntrySize));
        Volatile.Write(ref *_cqHead, ++_cqHeadLocal);
        return true;
    }

    /// <summary>Reaps up to <paramref name="destination"/>.Length completions with one index update.</summary>
    public int Poll(Span<CompletionEntry> destination)
    {
        var tail = Volatile.Read(ref *_cqTail);
        var available = tail - _cqHeadLocal;
        var n = (int)Math.Min(available, (ulong)destination.Length);
        var head = _cqHeadLocal;
        for (var i = 0; i < n; i++)
        {
            destination[i] = Unsafe.ReadUnaligned<CompletionEntry>(_cq + (long)(((head + (ulong)i) & _cqMask) * ChannelLayout.CompletionEntrySize));
        }
        if (n > 0)
        {
            _cqHeadLocal = head + (ulong)n;
            Volatile.Write(ref *_cqHead, _cqHeadLocal);
        }
        return n;
    }

    /// <summary>
    /// Waits for one completion: spin, then yield, then sleep. False on timeout, or when the AC closed
    /// or faulted the channel and nothing is left to reap.
    /// </summary>
    public bool Wait(out CompletionEntry completion, TimeSpan timeout)
    {
        if (TryPoll(out completion))
        {
            return true;
        }
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var backoff = new SpinThenSleep();
        while (true)
        {
            backoff.Pause();
            if (TryPoll(out completion))
            {
                return true;
            }
            var state = State;
            if (state == ChannelState.Closed || state == ChannelState.Faulted)
            {
                return TryPoll(out completion);
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }
        }
    }

    /// <summary>Waits until at least one completion arrives, then reaps up to destination.Length of them. 0 on timeout or closed channel.</summary>
    public int Wait(Span<CompletionEntry> destination, TimeSpan timeout)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }
        var n = Poll(destination);
        if (n > 0)
        {
            return n;
        }
        if (!Wait(out destination[0], timeout))
        {
            return 0;
        }
        return 1 + Poll(destination[1..]);
    }

    /// <summary>
    /// Opens a session: copies the key into <paramref name="slot"/>, posts OpenSession, waits for its
    /// completion and wipes the slot. The key goes from the guest's memory to the AC only.
    /// Call with no other operations in flight (it consumes the next completion).
    /// </summary>
    public uint OpenSession(ReadOnlySpan<byte> key, int slot, TimeSpan timeout)
    {
        var buffer = Slot(slot);
        if (key.Length > buffer.Length)
        {
            throw new ArgumentException($"key of {key.Length} bytes does not fit a {buffer.Length}-byte slot", nameof(key));
        }
        key.CopyTo(buffer);
        try
        {
            var d = new SubmissionDescriptor
            {
                Tag = ulong.MaxValue,
                Op = OpCode.OpenSession,
                InSlot = (uint)slot,
                InLength = (uint)key.Length,
            };
            var c = SubmitAndWait(d, timeout);
            if (c.Status != OpStatus.Ok)
            {
                throw new InvalidOperationException($"OpenSession failed with {c.Status}: check the key size for this queue's driver");
            }
            return (uint)c.Value;
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer[..key.Length]);
        }
    }

    /// <summary>Closes a session (the AC wipes its copy of the key). Same single-flight rule as OpenSession.</summary>
    public OpStatus CloseSession(uint session, TimeSpan timeout)
    {
        var d = new SubmissionDescriptor { Tag = ulong.MaxValue - 1, Op = OpCode.CloseSession, Session = session };
        return SubmitAndWait(d, timeout).Status;
    }

    /// <summary>Posts one descriptor and waits for the next completion (synchronous convenience).</summary>
    public CompletionEntry SubmitAndWait(in SubmissionDescriptor descriptor, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var backoff = new SpinThenSleep();
        while (!TrySubmit(descriptor))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"submission ring of {Path} stayed full for {timeout}: is the AC serving this channel?");
            }
            backoff.Pause();
        }
        if (!Wait(out var completion, timeout))
        {
            throw new TimeoutException($"no completion on {Path} within {timeout} (channel state {State}): is the AC serving this channel?");
        }
        return completion;
    }

    public void Dispose() => _file.Dispose();
}
