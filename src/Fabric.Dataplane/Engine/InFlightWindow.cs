using System.Numerics;
using System.Runtime.CompilerServices;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// The reorder window of one queue: every op taken from the submission ring and not yet answered, by sequence number
/// (the op's token in the driver). Ops finish in any order; the queue answers from <see cref="Head"/> only, so the
/// guest sees completions in submission order. Preallocated; touched by the queue's worker only.
/// </summary>
internal sealed class InFlightWindow
{
    private readonly Entry[] _entries;
    private readonly DriverRequest[] _requests;
    private readonly ulong _mask;

    public InFlightWindow(int capacity)
    {
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(capacity, 1, 1 << 16));
        _entries = new Entry[size];
        _requests = new DriverRequest[size];
        _mask = (ulong)size - 1;
    }

    public int Capacity => _entries.Length;

    /// <summary>Oldest op not yet answered.</summary>
    public ulong Head;

    /// <summary>Sequence number of the next op taken.</summary>
    public ulong Tail;

    /// <summary>No op before this one waits to be submitted.</summary>
    public ulong SubmitNext;

    /// <summary>Data ops validated and waiting for the driver to take them.</summary>
    public int Unsubmitted;

    /// <summary>Data ops the driver holds.</summary>
    public int InFlight;

    public int Count => (int)(Tail - Head);

    public int Free => _entries.Length - Count;

    public int Unfinished => Unsubmitted + InFlight;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Entry At(ulong seq) => ref _entries[(int)(seq & _mask)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref DriverRequest RequestAt(ulong seq) => ref _requests[(int)(seq & _mask)];

    public bool Contains(ulong seq) => seq >= Head && seq < Tail;

    /// <summary>How many ops from <paramref name="seq"/> on (at most <paramref name="max"/>) wait for the driver in a row, within one stretch of the arrays (no wrap).</summary>
    public int WaitingRun(ulong seq, int max)
    {
        var start = (int)(seq & _mask);
        var limit = (int)Math.Min((ulong)Math.Min(max, _entries.Length - start), Tail - seq);
        var n = 0;
        while (n < limit && _entries[start + n].State == EntryState.Unsubmitted)
        {
            n++;
        }
        return n;
    }

    /// <summary>The requests of a <see cref="WaitingRun"/>, in place: the driver reads them where they are, no copy.</summary>
    public ReadOnlySpan<DriverRequest> Requests(ulong seq, int count) => new(_requests, (int)(seq & _mask), count);

    internal enum EntryState : byte
    {
        Done = 1,
        Unsubmitted = 2,
        InFlight = 3,
    }

    /// <summary>One op: what its completion needs, and where it is.</summary>
    internal struct Entry
    {
        public ulong Tag;
        public ulong Value;
        /// <summary>When the op was taken, then when it was handed to the driver (its deadline counts from there).</summary>
        public long Start;
        public long End;
        public uint InLength;
        public uint Session;
        public int Written;
        public OpStatus Status;
        public OpCode Op;
        public EntryState State;
    }
}
