using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// Per-queue counters. Written by the queue's worker only (plain increments published with
/// Volatile.Write, no interlocked ops), read from any thread without stopping the worker.
/// </summary>
public sealed class QueueCounters
{
    private const int StatusCount = 16;

    // Hot fields first; the padding keeps them off the lines of neighbouring objects the reader touches.
    [StructLayout(LayoutKind.Sequential)]
    private struct Hot
    {
        public long Pad0, Pad1, Pad2, Pad3, Pad4, Pad5, Pad6, Pad7;
        public long Ops;
        public long BytesIn;
        public long BytesOut;
        public long Errors;
        public long CqFullStalls;
        public long Pad8, Pad9, Pad10, Pad11, Pad12, Pad13, Pad14, Pad15;
    }

    private Hot _hot;
    private readonly long[] _byStatus = new long[StatusCount];
    private int _faulted;

    public LatencyHistogram Latency { get; } = new();

    /// <summary>The service-level scheduler's view of the queue: level, throttled time, tokens, rate, share.</summary>
    public Scheduling.ServiceCounters Service { get; } = new();

    public long Ops => Volatile.Read(ref _hot.Ops);
    public long BytesIn => Volatile.Read(ref _hot.BytesIn);
    public long BytesOut => Volatile.Read(ref _hot.BytesOut);
    public long Errors => Volatile.Read(ref _hot.Errors);

    /// <summary>Times the worker found the completion ring full and left submissions waiting (the guest is not reaping).</summary>
    public long CqFullStalls => Volatile.Read(ref _hot.CqFullStalls);

    /// <summary>True once the queue faulted (the guest corrupted an index): the AC no longer serves it.</summary>
    public bool Faulted => Volatile.Read(ref _faulted) != 0;

    internal void RecordFault() => Volatile.Write(ref _faulted, 1);

    public long CountOf(OpStatus status) => (uint)status < StatusCount ? Volatile.Read(ref _byStatus[(int)status]) : 0;

    /// <summary>One op answered with an error <paramref name="status"/> (Ok ops: <see cref="RecordOk"/>).</summary>
    internal void RecordFailed(OpStatus status, long nanos)
    {
        Volatile.Write(ref _hot.Ops, _hot.Ops + 1);
        Volatile.Write(ref _hot.Errors, _hot.Errors + 1);
        ref var s = ref _byStatus[(uint)status < StatusCount ? (int)status : 0];
        Volatile.Write(ref s, s + 1);
        Latency.Record(nanos);
    }

    /// <summary><paramref name="ops"/> ops answered Ok at once (one visit's worth: one write per counter); their latencies are recorded one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void RecordOk(long ops, long bytesIn, long bytesOut)
    {
        Volatile.Write(ref _hot.Ops, _hot.Ops + ops);
        Volatile.Write(ref _hot.BytesIn, _hot.BytesIn + bytesIn);
        Volatile.Write(ref _hot.BytesOut, _hot.BytesOut + bytesOut);
        ref var s = ref _byStatus[(int)OpStatus.Ok];
        Volatile.Write(ref s, s + ops);
    }

    internal void RecordCqFull() => Volatile.Write(ref _hot.CqFullStalls, _hot.CqFullStalls + 1);
}
