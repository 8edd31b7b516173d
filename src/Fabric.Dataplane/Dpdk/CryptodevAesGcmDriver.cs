using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// AES-256-GCM on a DPDK cryptodev queue pair, with <see cref="AeadDriver"/>'s layout and status codes: seal
/// input = aad || plaintext, output = ciphertext || tag; open input = aad || ciphertext || tag, output = plaintext.
/// The AC drives it through the asynchronous contract (<see cref="IAsyncGDriver"/>): Submit enqueues a burst on the
/// queue pair, Poll dequeues a burst and copies each finished op's output to its slot, so the device keeps up to its
/// queue depth in flight. <see cref="Execute"/> (one op, polled until done or its deadline) remains for direct callers.
/// An op given up at its deadline stays in the device; its late completion is freed without touching its output.
/// </summary>
public sealed partial class CryptodevAesGcmDriver : IAsyncGDriver
{
    private const int PollBurst = 8;

    private static long s_instances;

    private readonly Cryptodev _device;
    private readonly nint _deviceHandle;
    private readonly ushort _queuePair;
    private ulong _sequence;
    private long _abandoned;
    /// <summary>Ops the synchronous path gave up at their deadline that have not surfaced from the device yet.</summary>
    private int _strays;
    /// <summary>Sessions closed while the device still held ops of this driver: an op may name one of them.</summary>
    private readonly List<AeadSessionHandle> _closing = new(4);
    private bool _disposed;

    /// <summary>Takes one queue pair of <paramref name="device"/> for this driver's lifetime.</summary>
    public CryptodevAesGcmDriver(Cryptodev device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var queuePair = device.ClaimQueuePair();
        if (queuePair < 0)
        {
            throw new DpdkException($"cryptodev {device} has no free queue pair: open it with more queue pairs");
        }
        var added = false;
        device.Handle.DangerousAddRef(ref added);
        _device = device;
        _deviceHandle = device.Handle.DangerousGetHandle();
        _queuePair = (ushort)queuePair;
        // Tags unique across drivers: a queue pair's next driver may still see this one's abandoned ops surface.
        _sequence = (ulong)Interlocked.Increment(ref s_instances) << 40;
        _instanceBits = _sequence;
        var table = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, device.Depth));
        _table = new InFlightOp[table];
        _tableMask = (ulong)table - 1;
        _immediate = new DriverCompletion[MaxSubmitBurst];
    }

    public string Function => "aes-256-gcm";

    public DriverKind Kind => DriverKind.Aead;

    public int DigestSize => 0;

    public bool RequiresSession => true;

    public Cryptodev Device => _device;

    public int QueuePair => _queuePair;

    /// <summary>Ops given up at their deadline (their completions are discarded).</summary>
    public long Abandoned => Volatile.Read(ref _abandoned);

    public unsafe OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session)
    {
        session = null;
        if (key.Length != AeadDriver.KeySize)
        {
            return OpStatus.BadKey;
        }
        var handle = new AeadSessionHandle();
        var err = stackalloc byte[DpdkNative.ErrorLength];
        err[0] = 0;
        int rc;
        nint created;
        fixed (byte* k = key)
        {
            rc = DpdkNative.AeadSessionCreate(_deviceHandle, k, (uint)key.Length, out created, err, DpdkNative.ErrorLength);
        }
        if (rc != DpdkNative.Ok)
        {
            return rc == DpdkNative.ErrUnsupported ? OpStatus.Unsupported : OpStatus.DriverFault;
        }
        handle.Adopt(created);
        handle.Bind(_device.Handle);
        session = handle;
        return OpStatus.Ok;
    }

    /// <summary>What an op of <paramref name="inputLength"/> bytes (<paramref name="aadLength"/> of them AAD) writes; both paths check by it.</summary>
    private static OpStatus OutputLength(OpCode code, int inputLength, int aadLength, int capacity, out int outLength)
    {
        outLength = 0;
        var body = inputLength - aadLength;
        if (code == OpCode.Forward)
        {
            outLength = body + AeadDriver.TagSize;
        }
        else if (code == OpCode.Inverse)
        {
            if (body < AeadDriver.TagSize)
            {
                return OpStatus.BadInput;
            }
            outLength = body - AeadDriver.TagSize;
        }
        else
        {
            return OpStatus.Unsupported;
        }
        return capacity < outLength ? OpStatus.OutputTooSmall : OpStatus.Ok;
    }

    public void CloseSession(object? session)
    {
        if (session is not AeadSessionHandle handle)
        {
            return;
        }
        // An op answered DeadlineExceeded may still be inside the device, naming this session: the device would read
        // freed memory when it gets to it. Such a session is freed once the device has given back every op of ours.
        _closing.Add(handle);
        FreeClosedSessions();
    }

    private bool DeviceHoldsOurOps => _inFlight > 0 || _strays > 0;

    private void FreeClosedSessions()
    {
        if (_closing.Count == 0 || DeviceHoldsOurOps)
        {
            return;
        }
        foreach (var handle in _closing)
        {
            handle.Dispose();
        }
        _closing.Clear();
    }

    private static void FreeStray(nint op, ref int strays)
    {
        DpdkNative.OpFree(op);
        if (strays > 0)
        {
            strays--;
        }
    }

    public OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (op.Session is not AeadSessionHandle session)
        {
            return OpStatus.BadSession;
        }
        if ((uint)op.AadLength > (uint)input.Length || op.Nonce.Length != SubmissionDescriptor.NonceSize)
        {
            return OpStatus.BadInput;
        }
        if (OutputLength(op.Code, input.Length, op.AadLength, output.Length, out var outLength) is var status && status != OpStatus.Ok)
        {
            return status;
        }
        var added = false;
        session.DangerousAddRef(ref added);
        try
        {
            return Run(op, session.DangerousGetHandle(), input, output, outLength, out written);
        }
        finally
        {
            session.DangerousRelease();
        }
    }

    private unsafe OpStatus Run(in DriverOp op, nint session, ReadOnlySpan<byte> input, Span<byte> output, int outLength, out int written)
    {
        written = 0;
        var tag = ++_sequence;
        var deadline = op.DeadlineTimestamp;
        var done = stackalloc DpdkNative.AeadDone[PollBurst];
        fixed (byte* nonce = op.Nonce)
        fixed (byte* inPtr = input)
        fixed (byte* outPtr = output)
        {
            DpdkNative.AeadRequest request;
            request.Session = session;
            request.Iv = nonce;
            request.Input = inPtr;
            request.InputLength = (uint)input.Length;
            request.AadLength = (uint)op.AadLength;
            request.Encrypt = op.Code == OpCode.Forward ? 1u : 0u;
            request.Reserved = 0;
            request.UserTag = tag;
            while (true)
            {
                var rc = DpdkNative.AeadEnqueue(_deviceHandle, _queuePair, &request, 1);
                if (rc == 1)
                {
                    break;
                }
                switch (rc)
                {
                    case DpdkNative.ErrBusy:
                    case DpdkNative.ErrNoMemory:
                        // Abandoned ops still hold descriptors or buffers: collect what has surfaced, then retry.
                        if (Stopwatch.GetTimestamp() > deadline)
                        {
                            return OpStatus.DeadlineExceeded;
                        }
                        Reap(done);
                        continue;
                    case DpdkNative.ErrTooLarge:
                    case DpdkNative.ErrUnsupported:
                    case DpdkNative.ErrSession:
                        // Past the single-segment size, an AAD length the device refuses, or too many AAD lengths.
                        return OpStatus.Unsupported;
                    case DpdkNative.ErrArgs:
                        return OpStatus.BadInput;
                    default:
                        return OpStatus.DriverFault;
                }
            }
            while (true)
            {
                // The deadline first: an op whose time is up is not waited for, even when its answer is queued.
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    _abandoned++;
                    _strays++;
                    return OpStatus.DeadlineExceeded;
                }
                var n = DpdkNative.AeadDequeue(_deviceHandle, _queuePair, done, PollBurst);
                if (n < 0)
                {
                    return OpStatus.DriverFault;
                }
                for (var i = 0; i < n; i++)
                {
                    ref var d = ref done[i];
                    if (d.UserTag != tag)
                    {
                        FreeStray(d.Op, ref _strays); // a late answer to an abandoned op
                        continue;
                    }
                    // The queue pair completes in order, so nothing after ours is in this burst; finish it.
                    for (var j = i + 1; j < n; j++)
                    {
                        FreeStray(done[j].Op, ref _strays);
                    }
                    FreeClosedSessions();
                    return Complete(ref d, outPtr, outLength, out written);
                }
            }
        }
    }

    private static unsafe OpStatus Complete(ref DpdkNative.AeadDone d, byte* output, int outLength, out int written)
    {
        written = 0;
        if (d.Status == DpdkNative.OpAuthFailed)
        {
            DpdkNative.OpFree(d.Op);
            return OpStatus.AuthFailed;
        }
        if (d.Status != DpdkNative.OpOk || d.OutputLength != (uint)outLength)
        {
            DpdkNative.OpFree(d.Op);
            return OpStatus.DriverFault;
        }
        if (DpdkNative.AeadTake(d.Op, output, (uint)outLength) != DpdkNative.Ok)
        {
            return OpStatus.DriverFault;
        }
        written = outLength;
        return OpStatus.Ok;
    }

    private unsafe void Reap(DpdkNative.AeadDone* done)
    {
        var n = DpdkNative.AeadDequeue(_deviceHandle, _queuePair, done, PollBurst);
        for (var i = 0; i < n; i++)
        {
            ref var d = ref done[i];
            ref var slot = ref _table[(int)(d.UserTag & _tableMask)];
            if (slot.Used && slot.UserTag == d.UserTag)
            {
                slot.Used = false; // an op of the asynchronous path, surfacing while the driver stops
                _inFlight--;
                DpdkNative.OpFree(d.Op);
            }
            else
            {
                FreeStray(d.Op, ref _strays);
            }
        }
    }

    public unsafe void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        // Give the device a moment to hand back the ops it still holds, then free the closed sessions. A device that
        // keeps them (hung hardware) keeps its sessions too: leaked on purpose, never freed under a running op.
        var done = stackalloc DpdkNative.AeadDone[PollBurst];
        var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 5;
        do
        {
            Reap(done);
        }
        while (DeviceHoldsOurOps && Stopwatch.GetTimestamp() < until);
        FreeClosedSessions();
        foreach (var leaked in _closing)
        {
            leaked.SetHandleAsInvalid();
        }
        _closing.Clear();
        _device.ReleaseQueuePair(_queuePair);
        _device.Handle.DangerousRelease();
    }
}
