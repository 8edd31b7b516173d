using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Dpdk;

/// <summary>The asynchronous side: bursts enqueued and dequeued through the shim, outputs copied as ops come back.</summary>
public partial class DpdkGDriver
{
    /// <summary>The shim's FD_MAX_BURST.</summary>
    private const int MaxSubmitBurst = 64;

    private readonly InFlightOp[] _table;
    private readonly ulong _tableMask;
    private readonly ulong _instanceBits;
    /// <summary>Ops refused at submission (bad input, too large): taken, and answered by the next Poll.</summary>
    private readonly DriverCompletion[] _immediate;
    private int _immediateCount;
    private int _inFlight;
    private int _peakInFlight;

    /// <summary>One op inside the device, found by the user tag the shim carries (a per-driver sequence).</summary>
    private struct InFlightOp
    {
        public ulong UserTag;
        public ulong Token;
        public nint Output;
        public int OutLength;
        public bool Used;
        public bool Abandoned;
        public bool Inverse;
        /// <summary>The device writes the output in the guest's slot (output zero copy).</summary>
        public bool WritesGuest;
    }

    public int MaxInFlight => _table.Length;

    private long _faults;

    /// <summary>Ops the device completed with an error status (DriverFault).</summary>
    public long Faults => Volatile.Read(ref _faults);

    /// <summary>Ops inside the device (the abandoned ones included until they surface).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Most ops the device held at once so far (the asynchrony actually used).</summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    public unsafe int Submit(ReadOnlySpan<DriverRequest> requests)
    {
        var max = Math.Min(requests.Length, MaxSubmitBurst);
        var native = stackalloc DpdkNative.AeadRequest[MaxSubmitBurst];
        var slots = stackalloc int[MaxSubmitBurst];
        // The nonces are copied to the stack: the requests may live in a movable array, and the shim reads the IV.
        var ivs = stackalloc byte[MaxSubmitBurst * SubmissionDescriptor.NonceSize];
        var accepted = 0;
        var count = 0;
        for (var i = 0; i < max; i++)
        {
            ref readonly var r = ref requests[i];
            var status = Check(r, out var outLength, out var session, out var reserved);
            if (status != OpStatus.Ok)
            {
                if (count > 0 || _immediateCount == _immediate.Length)
                {
                    break; // enqueue what is ready first: answers go in submission order
                }
                Refuse(r.Token, status);
                accepted++;
                continue;
            }
            var tag = _sequence + 1;
            var index = (int)(tag & _tableMask);
            ref var slot = ref _table[index];
            if (slot.Used)
            {
                break; // the device is full (or still holds an abandoned op there)
            }
            _sequence = tag;
            slot.UserTag = tag;
            slot.Token = r.Token;
            slot.Output = r.Output;
            slot.OutLength = outLength;
            slot.Abandoned = false;
            slot.Inverse = r.Code == OpCode.Inverse;
            ref var n = ref native[count];
            n.Session = session!.DangerousGetHandle();
            var iv = ivs + count * SubmissionDescriptor.NonceSize;
            var param = r.Param;
            ((ReadOnlySpan<byte>)param)[..SubmissionDescriptor.NonceSize].CopyTo(new Span<byte>(iv, SubmissionDescriptor.NonceSize));
            n.Iv = iv;
            n.Input = (byte*)r.Input;
            n.InputLength = (uint)r.InputLength;
            n.AadLength = Kind == DriverKind.Aead ? (uint)r.AadLength : 0;
            n.Encrypt = r.Code == OpCode.Forward ? 1u : 0u;
            n.Reserved = (uint)reserved;
            n.UserTag = tag;
            n.Output = (byte*)r.Output;
            n.OutputCapacity = (uint)r.OutputCapacity;
            n.Region = (uint)r.InputLength < _zeroCopyFrom ? 0 : _region; // small ops: the copy is cheaper
            n.Flags = r.Code == OpCode.Forward ? _sealFlags : _requestFlags;
            slot.WritesGuest = WritesGuest(n);
            n.Pad = 0;
            slots[count++] = index;
        }
        if (count == 0)
        {
            return accepted;
        }
        var rc = Enqueue(native, count);
        var taken = Math.Max(0, rc);
        for (var i = 0; i < taken; i++)
        {
            _table[slots[i]].Used = true;
        }
        _inFlight += taken;
        if (_inFlight > _peakInFlight)
        {
            Volatile.Write(ref _peakInFlight, _inFlight);
        }
        // Not taken: the sequence numbers are simply skipped; the slots stay free.
        if (rc >= 0 || rc == DpdkNative.ErrBusy || rc == DpdkNative.ErrNoMemory)
        {
            return accepted + taken;
        }
        // The first op of the burst failed the shim's checks: answer it, the rest waits for the next call.
        Refuse(requests[accepted].Token, rc switch
        {
            DpdkNative.ErrTooLarge or DpdkNative.ErrUnsupported or DpdkNative.ErrSession => OpStatus.Unsupported,
            DpdkNative.ErrArgs => OpStatus.BadInput,
            _ => OpStatus.DriverFault,
        });
        return accepted + 1;
    }

    private OpStatus Check(in DriverRequest r, out int outLength, out AeadSessionHandle? session, out int reserved)
    {
        outLength = 0;
        reserved = 0;
        session = SessionOf(r.Session);
        if (session is null)
        {
            return OpStatus.BadSession;
        }
        var aad = Kind == DriverKind.Aead ? r.AadLength : 0;
        if ((uint)aad > (uint)r.InputLength)
        {
            return OpStatus.BadInput;
        }
        var tagLength = TagLength(((ReadOnlySpan<byte>)r.Param)[SubmissionDescriptor.TagLengthIndex]);
        var status = OutputLength(r.Code, r.InputLength, aad, r.OutputCapacity, tagLength, out outLength);
        reserved = Kind == DriverKind.Digest ? tagLength : outLength;
        return status;
    }

    private void Refuse(ulong token, OpStatus status)
    {
        ref var c = ref _immediate[_immediateCount++];
        c.Token = token;
        c.Status = status;
        c.Written = 0;
    }

    public unsafe int Poll(Span<DriverCompletion> completions)
    {
        var n = 0;
        if (_immediateCount > 0)
        {
            n = Math.Min(_immediateCount, completions.Length);
            _immediate.AsSpan(0, n).CopyTo(completions);
            _immediate.AsSpan(n, _immediateCount - n).CopyTo(_immediate);
            _immediateCount -= n;
        }
        if (_inFlight == 0 || n == completions.Length)
        {
            return n;
        }
        var want = Math.Min(completions.Length - n, MaxSubmitBurst);
        var done = stackalloc DpdkNative.AeadDone[MaxSubmitBurst];
        var got = Dequeue(done, want);
        if (!_compress)
        {
            n = TakeBurst(done, got, completions, n);
            FreeClosedSessions();
            return n;
        }
        for (var i = 0; i < got; i++)
        {
            ref var d = ref done[i];
            ref var slot = ref _table[(int)(d.UserTag & _tableMask)];
            if (!slot.Used || slot.UserTag != d.UserTag)
            {
                FreeStray(d.Op, ref _strays); // the synchronous path's abandoned op, or an earlier driver's on this queue pair
                continue;
            }
            slot.Used = false;
            _inFlight--;
            if (slot.Abandoned)
            {
                FreeOp(d.Op); // the AC answered it DeadlineExceeded: its output is not touched
                continue;
            }
            ref var c = ref completions[n++];
            c.Token = slot.Token;
            c.Status = Complete(ref d, (byte*)slot.Output, slot.OutLength, slot.Inverse, out c.Written);
            if (c.Status == OpStatus.DriverFault)
            {
                Interlocked.Increment(ref _faults);
            }
        }
        FreeClosedSessions();
        return n;
    }

    /// <summary>
    /// A cryptodev's dequeued burst answered with one call into the shim: each op's output copied to its slot (or,
    /// given up on, failed or not ours, only freed), its op and mbufs back through the queue pair's caches.
    /// </summary>
    private unsafe int TakeBurst(DpdkNative.AeadDone* done, int got, Span<DriverCompletion> completions, int n)
    {
        if (got <= 0)
        {
            return n;
        }
        var takes = stackalloc DpdkNative.Take[MaxSubmitBurst];
        // For each take, the completion it answers (-1: none, only freed).
        var answers = stackalloc int[MaxSubmitBurst];
        for (var i = 0; i < got; i++)
        {
            ref var d = ref done[i];
            ref var t = ref takes[i];
            t.Op = d.Op;
            t.Output = null;
            t.Capacity = 0;
            t.Flags = DpdkNative.TakeFreeOnly;
            t.Result = DpdkNative.Ok;
            t.Pad = 0;
            answers[i] = -1;
            ref var slot = ref _table[(int)(d.UserTag & _tableMask)];
            if (!slot.Used || slot.UserTag != d.UserTag)
            {
                if (_strays > 0)
                {
                    _strays--; // the synchronous path's abandoned op, or an earlier driver's on this queue pair
                }
                continue;
            }
            slot.Used = false;
            _inFlight--;
            if (slot.Abandoned)
            {
                continue; // the AC answered it DeadlineExceeded: its output is not touched
            }
            ref var c = ref completions[n];
            c.Token = slot.Token;
            c.Written = 0;
            c.Status = Verdict(ref d, slot.OutLength, slot.Inverse);
            if (c.Status == OpStatus.Ok)
            {
                t.Output = (byte*)slot.Output;
                t.Capacity = d.OutputLength;
                t.Flags = 0;
                answers[i] = n;
            }
            else if (c.Status == OpStatus.DriverFault)
            {
                Interlocked.Increment(ref _faults);
            }
            n++;
        }
        if (DpdkNative.AeadTakeBurst(_deviceHandle, _queuePair, takes, (ushort)got) != DpdkNative.Ok)
        {
            // Only a bad device or queue pair gets here (never with this driver's own): nothing was taken or freed.
            for (var i = 0; i < got; i++)
            {
                takes[i].Result = DpdkNative.ErrArgs;
            }
        }
        for (var i = 0; i < got; i++)
        {
            if (answers[i] < 0)
            {
                continue;
            }
            ref var c = ref completions[answers[i]];
            if (takes[i].Result == DpdkNative.Ok)
            {
                c.Written = (int)takes[i].Capacity;
            }
            else
            {
                c.Status = OpStatus.DriverFault;
                Interlocked.Increment(ref _faults);
            }
        }
        return n;
    }

    public void Abandon(ulong token)
    {
        // Rare (a deadline passed): a scan of the table is cheaper than keeping an index for it.
        for (var i = 0; i < _table.Length; i++)
        {
            ref var slot = ref _table[i];
            if (slot.Used && slot.Token == token)
            {
                slot.Abandoned = true;
                _abandoned++;
                if (slot.WritesGuest)
                {
                    Forget(slot.UserTag);
                }
                return;
            }
        }
    }
}
