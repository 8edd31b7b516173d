using System.Runtime.InteropServices;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Native;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// Raw deflate (RFC 1951) g-driver. Forward compresses, Inverse decompresses. The inflate stream is
/// allocated once and reset per op; zlib keeps a pointer back to its stream, so it lives in native memory.
/// <para>
/// Through the AC (<see cref="IAsyncGDriver"/>) compression is preemptible: a 64 KiB op costs about a millisecond, and
/// an op run whole would keep a latency-class queue on the same worker waiting that long. <see cref="Submit"/> only
/// queues ops; each <see cref="Poll"/> feeds zlib at most <see cref="SliceBytes"/> of input (one op or several small
/// ones) and returns, so the worker visits its other queues between slices. zlib fed in slices without a flush between
/// them (Z_NO_FLUSH, then Z_FINISH with the last) keeps its window and lookahead across calls and writes one stream of
/// the same data; its bytes may differ a little from one call's (zlib-ng picks matches near a slice's end differently).
/// Inflate is not sliced: it runs several times faster than deflate and its cost follows the output.
/// </para>
/// </summary>
public sealed unsafe class DeflateDriver : KeylessDriver, IAsyncGDriver
{
    /// <summary>
    /// Input fed to zlib per <see cref="Poll"/> by default (the node's <c>fabric.node.ac.deflate-slice-bytes</c>): the
    /// smallest slice that keeps deflate within 5 % of one call. 64 KiB ops, sliced vs one call, fastest op of each
    /// (fabric-bench qos --slice-sweep, two runs): 256 B 0.94x, 512 B 0.97x, 1 KiB 0.98x, 4 KiB 1.0x at level 6 (51 MB/s,
    /// so a 512 B slice is about 10 us, the most a latency-class neighbour waits for it); the same within 2 % at level 1.
    /// </summary>
    public const int DefaultSliceBytes = 512;

    /// <summary>Smallest slice: below it a call into zlib costs more than the work it does.</summary>
    public const int MinSliceBytes = 256;

    /// <summary>Largest slice: the driver takes at most <see cref="MaxQueuedBytes"/> at once, so a larger slice is one call per op anyway.</summary>
    public const int MaxSliceBytes = MaxQueuedBytes;

    /// <summary>Most ops held at once (queued or finished, not yet polled back).</summary>
    public const int Capacity = 32;

    /// <summary>
    /// Input bytes the driver takes into its queue at once (always at least one op): a bulk queue's ops still waiting in
    /// its ring are admitted by the scheduler's share, not all at once.
    /// </summary>
    public const int MaxQueuedBytes = 64 * 1024;

    private const int NoFlush = 0;

    private readonly int _level;
    private readonly int _sliceBytes;
    private readonly Pending[] _pending = new Pending[Capacity];
    private readonly DriverCompletion[] _done = new DriverCompletion[Capacity];
    private ZlibNative.ZStream* _inflate;
    private ZlibNative.ZStream* _deflate;
    private byte* _empty;
    private int _pendingHead;
    private int _pendingCount;
    private int _doneHead;
    private int _doneCount;
    private long _queuedBytes;
    private bool _deflating;
    private int _consumed;
    private int _produced;
    private long _slices;

    private struct Pending
    {
        public ulong Token;
        public OpCode Code;
        public nint Input;
        public int InputLength;
        public nint Output;
        public int OutputCapacity;
        public bool Abandoned;
    }

    /// <param name="level">zlib level 1 (fastest) to 9 (smallest); 6 is zlib's default.</param>
    /// <param name="sliceBytes">input compressed per <see cref="Poll"/> (the AC's path); at least 256.</param>
    public DeflateDriver(int level = 6, int sliceBytes = DefaultSliceBytes)
    {
        if (level < 0 || level > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "deflate level must be in [0, 9]");
        }
        if (SliceBytesProblem(sliceBytes) is { } problem)
        {
            throw new ArgumentOutOfRangeException(nameof(sliceBytes), sliceBytes, problem);
        }
        _level = level;
        _sliceBytes = sliceBytes;
        _inflate = (ZlibNative.ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZlibNative.ZStream));
        var rc = ZlibNative.InflateInit2(_inflate, ZlibNative.RawWindowBits);
        if (rc != ZlibNative.Ok)
        {
            NativeMemory.Free(_inflate);
            _inflate = null;
            throw new InvalidOperationException($"zlib inflateInit2 failed with {rc}");
        }
        // The sliced op's stream outlives a call; the runtime's zlib exports no deflateReset, so it is initialized per op
        // (zlib's own state, native) and this header is reused.
        _deflate = (ZlibNative.ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZlibNative.ZStream));
        _empty = (byte*)NativeMemory.AllocZeroed(16);
    }

    /// <summary>What a slice size may be, for refusals.</summary>
    public static string SliceBytesRule =>
        $"the deflate slice is {MinSliceBytes}..{MaxSliceBytes} bytes of input per poll (default {DefaultSliceBytes}; docs/service-levels.md has the figures)";

    /// <summary>Why <paramref name="sliceBytes"/> cannot be a slice size, or null when it can (node settings refuse it at start with this).</summary>
    public static string? SliceBytesProblem(int sliceBytes) =>
        sliceBytes is >= MinSliceBytes and <= MaxSliceBytes ? null : $"{sliceBytes} is out of range: {SliceBytesRule}";

    public override string Function => "deflate";

    public override DriverKind Kind => DriverKind.Compression;

    /// <summary>Input bytes compressed per <see cref="Poll"/>.</summary>
    public int SliceBytes => _sliceBytes;

    /// <summary>Slices run so far through <see cref="Poll"/> (read on the worker thread: tests and diagnostics).</summary>
    public long Slices => _slices;

    /// <summary>Input bytes of the op being compressed fed to zlib so far (0: none under way).</summary>
    public int Progress => _deflating ? _consumed : 0;

    public int MaxInFlight => Capacity;

    public override OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (op.Code == OpCode.Forward)
        {
            return Compress(input, output, out written);
        }
        if (op.Code == OpCode.Inverse)
        {
            return Decompress(input, output, out written);
        }
        return OpStatus.Unsupported;
    }

    public int Submit(ReadOnlySpan<DriverRequest> requests)
    {
        var taken = 0;
        while (taken < requests.Length && _pendingCount + _doneCount < Capacity
            && (_pendingCount == 0 || _queuedBytes + requests[taken].InputLength <= MaxQueuedBytes))
        {
            ref readonly var r = ref requests[taken];
            ref var p = ref _pending[(_pendingHead + _pendingCount) % Capacity];
            p.Token = r.Token;
            p.Code = r.Code;
            p.Input = r.Input;
            p.InputLength = r.InputLength;
            p.Output = r.Output;
            p.OutputCapacity = r.OutputCapacity;
            p.Abandoned = false;
            _queuedBytes += r.InputLength;
            _pendingCount++;
            taken++;
        }
        return taken;
    }

    /// <summary>Runs one slice (at most <see cref="SliceBytes"/> of input, over one op or several), then hands back what finished.</summary>
    public int Poll(Span<DriverCompletion> completions)
    {
        if (_pendingCount != 0)
        {
            _slices++;
            var budget = _sliceBytes;
            while (budget > 0 && _pendingCount != 0)
            {
                ref var p = ref _pending[_pendingHead];
                if (p.Abandoned)
                {
                    Dequeue(ref p);
                    continue;
                }
                var status = Step(ref p, ref budget, out var written);
                if (status is { } finished)
                {
                    ref var c = ref _done[(_doneHead + _doneCount) % Capacity];
                    c.Token = p.Token;
                    c.Status = finished;
                    c.Written = finished == OpStatus.Ok ? written : 0;
                    _doneCount++;
                    Dequeue(ref p);
                }
            }
        }
        var n = Math.Min(completions.Length, _doneCount);
        for (var i = 0; i < n; i++)
        {
            completions[i] = _done[_doneHead];
            _doneHead = (_doneHead + 1) % Capacity;
        }
        _doneCount -= n;
        return n;
    }

    public void Abandon(ulong token)
    {
        for (var i = 0; i < _pendingCount; i++)
        {
            ref var p = ref _pending[(_pendingHead + i) % Capacity];
            if (p.Token == token && !p.Abandoned)
            {
                p.Abandoned = true;
                if (i == 0)
                {
                    // From now on nothing may be written to its output: the stream is dropped at once.
                    EndDeflate();
                }
                return;
            }
        }
    }

    private void Dequeue(ref Pending p)
    {
        _queuedBytes -= p.InputLength;
        p = default;
        _pendingHead = (_pendingHead + 1) % Capacity;
        _pendingCount--;
    }

    /// <summary>Advances the head op within the budget: its status once it finished, null while it is under way.</summary>
    private OpStatus? Step(ref Pending p, ref int budget, out int written)
    {
        written = 0;
        if (p.Code == OpCode.Inverse)
        {
            budget -= Math.Max(1, p.InputLength);
            return Decompress(new ReadOnlySpan<byte>((void*)p.Input, p.InputLength), new Span<byte>((void*)p.Output, p.OutputCapacity), out written);
        }
        if (p.Code != OpCode.Forward)
        {
            budget -= 1;
            return OpStatus.Unsupported;
        }
        var s = _deflate;
        if (!_deflating)
        {
            *s = default;
            if (ZlibNative.DeflateInit2(s, _level, ZlibNative.Deflated, ZlibNative.RawWindowBits, ZlibNative.DefaultMemLevel, ZlibNative.DefaultStrategy) != ZlibNative.Ok)
            {
                budget -= 1;
                return OpStatus.DriverFault;
            }
            _deflating = true;
            _consumed = 0;
            _produced = 0;
        }
        var chunk = Math.Min(budget, p.InputLength - _consumed);
        var last = _consumed + chunk == p.InputLength;
        var produced = _produced;
        s->NextIn = p.Input == 0 ? _empty : (byte*)p.Input + _consumed;
        s->AvailIn = (uint)chunk;
        s->NextOut = p.Output == 0 || produced == p.OutputCapacity ? _empty : (byte*)p.Output + produced;
        s->AvailOut = (uint)(p.OutputCapacity - produced);
        var rc = ZlibNative.Deflate(s, last ? ZlibNative.Finish : NoFlush);
        var used = chunk - (int)s->AvailIn;
        _consumed += used;
        _produced = p.OutputCapacity - (int)s->AvailOut;
        // Never leave pointers into guest memory behind in the stream.
        s->NextIn = null;
        s->NextOut = null;
        budget -= Math.Max(1, chunk);
        if (last && rc == ZlibNative.StreamEnd)
        {
            written = _produced;
            EndDeflate();
            return OpStatus.Ok;
        }
        if (rc != ZlibNative.Ok && rc != ZlibNative.BufError)
        {
            EndDeflate();
            return OpStatus.DriverFault;
        }
        if (_produced == p.OutputCapacity)
        {
            // Out of room before the end of the stream: the guest's output is too small.
            EndDeflate();
            return OpStatus.OutputTooSmall;
        }
        return null;
    }

    private void EndDeflate()
    {
        if (_deflating)
        {
            ZlibNative.DeflateEnd(_deflate);
            _deflating = false;
        }
    }

    private OpStatus Compress(ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        ZlibNative.ZStream s = default;
        fixed (byte* pin = input)
        fixed (byte* pout = output)
        {
            // zlib's deflate needs a non-null pointer even for empty buffers.
            byte dummy = 0;
            s.NextIn = pin == null ? &dummy : pin;
            s.AvailIn = (uint)input.Length;
            s.NextOut = pout == null ? &dummy : pout;
            s.AvailOut = (uint)output.Length;
            var rc = ZlibNative.DeflateInit2(&s, _level, ZlibNative.Deflated, ZlibNative.RawWindowBits, ZlibNative.DefaultMemLevel, ZlibNative.DefaultStrategy);
            if (rc != ZlibNative.Ok)
            {
                return OpStatus.DriverFault;
            }
            rc = ZlibNative.Deflate(&s, ZlibNative.Finish);
            ZlibNative.DeflateEnd(&s);
            if (rc == ZlibNative.StreamEnd)
            {
                written = output.Length - (int)s.AvailOut;
                return OpStatus.Ok;
            }
            return rc == ZlibNative.Ok || rc == ZlibNative.BufError ? OpStatus.OutputTooSmall : OpStatus.DriverFault;
        }
    }

    private OpStatus Decompress(ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (_inflate == null)
        {
            return OpStatus.DriverFault;
        }
        ZlibNative.InflateReset2(_inflate, ZlibNative.RawWindowBits);
        fixed (byte* pin = input)
        fixed (byte* pout = output)
        {
            byte dummy = 0;
            _inflate->NextIn = pin == null ? &dummy : pin;
            _inflate->AvailIn = (uint)input.Length;
            _inflate->NextOut = pout == null ? &dummy : pout;
            _inflate->AvailOut = (uint)output.Length;
            var rc = ZlibNative.Inflate(_inflate, ZlibNative.Finish);
            var availOut = _inflate->AvailOut;
            // Never leave pointers into guest memory behind in the stream.
            _inflate->NextIn = null;
            _inflate->NextOut = null;
            if (rc == ZlibNative.StreamEnd)
            {
                written = output.Length - (int)availOut;
                return OpStatus.Ok;
            }
            if ((rc == ZlibNative.BufError || rc == ZlibNative.Ok) && availOut == 0)
            {
                return OpStatus.OutputTooSmall;
            }
            return OpStatus.BadInput;
        }
    }

    public override void Dispose()
    {
        EndDeflate();
        if (_deflate != null)
        {
            NativeMemory.Free(_deflate);
            NativeMemory.Free(_empty);
            _deflate = null;
            _empty = null;
        }
        if (_inflate != null)
        {
            ZlibNative.InflateEnd(_inflate);
            NativeMemory.Free(_inflate);
            _inflate = null;
        }
    }
}
