using System.Diagnostics;
using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// A g-driver on one DPDK queue pair, with the layout and status codes of the .NET driver of the same function:
/// aes-256-gcm and chacha20-poly1305 (<see cref="AeadDriver"/>: seal input = aad || plaintext, output = ciphertext ||
/// tag; open input = aad || ciphertext || tag, output = plaintext), sha256 and hmac-sha256 (<see cref="DigestDriver"/>:
/// forward writes the digest, inverse verifies data || tag) on a cryptodev; deflate (<see cref="DeflateDriver"/>: raw
/// RFC 1951) on a compressdev.
/// The AC drives it through the asynchronous contract (<see cref="IAsyncGDriver"/>): Submit enqueues a burst on the
/// queue pair, Poll dequeues a burst and copies each finished op's output to its slot, so the device keeps up to its
/// queue depth in flight. <see cref="Execute"/> (one op, polled until done or its deadline) remains for direct callers.
/// An op given up at its deadline stays in the device; its late completion is freed without touching its output.
/// </summary>
public partial class DpdkGDriver : IAsyncGDriver, IArenaDriver
{
    /// <summary>The functions a DPDK device can serve, by Fabric's names.</summary>
    public static readonly IReadOnlyList<string> Functions = ["aes-256-gcm", "chacha20-poly1305", "sha256", "hmac-sha256", "deflate", "aes-128-gcm"];

    private const int PollBurst = 8;

    private static long s_instances;

    private readonly DpdkDevice _device;
    private readonly uint _algo;
    private readonly bool _compress;
    /// <summary>The keyless functions' one session (sha256's DPDK session, deflate's private xforms).</summary>
    private readonly AeadSessionHandle? _ownSession;
    private readonly nint _deviceHandle;
    private readonly ushort _queuePair;
    private ulong _sequence;
    private long _abandoned;
    /// <summary>Ops the synchronous path gave up at their deadline that have not surfaced from the device yet.</summary>
    private int _strays;
    /// <summary>Sessions closed while the device still held ops of this driver: an op may name one of them.</summary>
    private readonly List<AeadSessionHandle> _closing = new(4);
    private bool _disposed;
    private bool _resetRequested;
    /// <summary>aes-128-gcm: AES-GCM with 16-byte keys only.</summary>
    private readonly bool _only128;

    /// <summary>Takes one queue pair of <paramref name="device"/> for this driver's lifetime.</summary>
    /// <param name="function">One of <see cref="Functions"/>; the device must offer it (else <see cref="DpdkException"/>).</param>
    /// <param name="level">deflate's level (1 fastest .. 9 smallest), as <see cref="DeflateDriver"/>'s.</param>
    /// <param name="zeroCopy">How channel buffers reach the device once the AC names the channel (<see cref="UseArena"/>).</param>
    /// <param name="zeroCopyFrom">Ops whose input is shorter are copied whatever the mode (<see cref="DefaultZeroCopyFrom"/>; 0: none).</param>
    public DpdkGDriver(DpdkDevice device, string function, int level = 6, DpdkZeroCopy zeroCopy = DpdkZeroCopy.Auto, int zeroCopyFrom = DefaultZeroCopyFrom)
    {
        _zeroCopyMode = zeroCopy;
        _zeroCopyFrom = (uint)Math.Max(0, zeroCopyFrom);
        ArgumentNullException.ThrowIfNull(device);
        _algo = function switch
        {
            "aes-256-gcm" or "aes-128-gcm" => DpdkNative.AlgoAesGcm,
            "chacha20-poly1305" => DpdkNative.AlgoChaCha20Poly1305,
            "sha256" => DpdkNative.AlgoSha256,
            "hmac-sha256" => DpdkNative.AlgoHmacSha256,
            "deflate" => DpdkNative.AlgoDeflate,
            _ => throw new DpdkException($"no DPDK g-driver for '{function}'; DPDK devices serve {string.Join(", ", Functions)}"),
        };
        _compress = _algo == DpdkNative.AlgoDeflate;
        if (_compress != device.IsCompress)
        {
            throw new DpdkException($"{function} does not run on {device}: deflate needs a compressdev, the others a cryptodev");
        }
        if (level is < 0 or > 9)
        {
            throw new DpdkException($"deflate level {level} is not in [0, 9]");
        }
        Function = function;
        _only128 = function == "aes-128-gcm";
        Kind = _compress ? DriverKind.Compression : _algo <= DpdkNative.AlgoChaCha20Poly1305 ? DriverKind.Aead : DriverKind.Digest;
        if (Kind == DriverKind.Aead || _algo == DpdkNative.AlgoHmacSha256)
        {
            ProbeSession(device, _algo == DpdkNative.AlgoHmacSha256 ? 32 : _only128 ? 16 : AeadDriver.KeySize);
        }
        else
        {
            _ownSession = CreateSession(device, _algo, default, _compress ? (uint)level : 0, out var reason)
                ?? throw new DpdkException(reason);
        }
        var queuePair = device.ClaimQueuePair();
        if (queuePair < 0)
        {
            _ownSession?.Dispose();
            throw new DpdkException($"{device} has no free queue pair: open it with more queue pairs");
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

    public string Function { get; }

    public DriverKind Kind { get; }

    public int DigestSize => Kind == DriverKind.Digest ? 32 : 0;

    public bool RequiresSession => Kind == DriverKind.Aead || _algo == DpdkNative.AlgoHmacSha256;

    public DpdkDevice Device => _device;

    /// <summary>After <see cref="Dispose"/>: null when the queue pair needed no reset, "ok" when it was reset, else why the reset failed.</summary>
    public string? LastReset { get; private set; }

    /// <summary>
    /// The device misbehaved on this driver's queue pair in a way the driver cannot see (a supervisor's verdict, or a
    /// fault-injecting wrapper's): reset the queue pair when the driver is disposed. Any thread.
    /// </summary>
    public void RequestReset() => Volatile.Write(ref _resetRequested, true);

    public int QueuePair => _queuePair;

    /// <summary>Ops given up at their deadline (their completions are discarded).</summary>
    public long Abandoned => Volatile.Read(ref _abandoned);

    public OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session)
    {
        session = null;
        if (!RequiresSession)
        {
            return OpStatus.Ok; // keyless, as the .NET drivers: the driver's own session serves every op
        }
        // AES-GCM: 128, 192 or 256-bit keys, as AesGcmDriver (the shim checks the PMD offers the size).
        var badKey = _only128 ? key.Length != 16
            : _algo == DpdkNative.AlgoAesGcm ? key.Length is not (16 or 24 or 32)
            : Kind == DriverKind.Aead ? key.Length != AeadDriver.KeySize : key.IsEmpty;
        if (badKey)
        {
            return OpStatus.BadKey;
        }
        // RFC 2104: a key longer than the hash's block is replaced by its hash (what .NET's HMAC does too).
        var material = key.Length > 64 && _algo == DpdkNative.AlgoHmacSha256 ? SHA256.HashData(key) : key;
        var handle = CreateSession(_device, _algo, material, (uint)material.Length, out _);
        if (handle is null)
        {
            return OpStatus.Unsupported;
        }
        session = handle;
        return OpStatus.Ok;
    }

    /// <summary>Fails the constructor now, with the shim's reason, when the device cannot do the function at all.</summary>
    private void ProbeSession(DpdkDevice device, int keyLength)
    {
        var probe = CreateSession(device, _algo, new byte[keyLength], (uint)keyLength, out var reason);
        if (probe is null)
        {
            throw new DpdkException(reason);
        }
        probe.Dispose();
    }

    /// <summary>A shim session (AEAD / HMAC key, none for SHA-256, deflate's level in <paramref name="keyLength"/>), or null with the shim's reason.</summary>
    private static unsafe AeadSessionHandle? CreateSession(DpdkDevice device, uint algo, ReadOnlySpan<byte> key, uint keyLength, out string reason)
    {
        var handle = new AeadSessionHandle();
        var err = stackalloc byte[DpdkNative.ErrorLength];
        err[0] = 0;
        int rc;
        nint created;
        fixed (byte* k = key)
        {
            rc = DpdkNative.SessionCreate(device.Handle.DangerousGetHandle(), algo, k, keyLength, out created, err, DpdkNative.ErrorLength);
        }
        if (rc != DpdkNative.Ok)
        {
            reason = DpdkNative.Text(err);
            return null;
        }
        reason = "";
        handle.Adopt(created);
        handle.Bind(device.Handle);
        return handle;
    }

    /// <summary>The shim session an op runs with: the guest's (keyed functions) or the driver's own.</summary>
    private AeadSessionHandle? SessionOf(object? session) => RequiresSession ? session as AeadSessionHandle : _ownSession;

    /// <summary>Digest bytes an op writes or verifies (hmac-sha256 may truncate, RFC 4868), or -1 when refused.</summary>
    private int TagLength(int asked) =>
        _algo != DpdkNative.AlgoHmacSha256 || asked == 0 ? 32 : asked is >= HmacSha256Driver.MinTagLength and <= 32 ? asked : -1;

    /// <summary>
    /// What an op of <paramref name="inputLength"/> bytes (<paramref name="aadLength"/> of them AAD) writes at most;
    /// both paths check by it. A deflate op's real length is known when it completes.
    /// </summary>
    private OpStatus OutputLength(OpCode code, int inputLength, int aadLength, int capacity, int tagLength, out int outLength)
    {
        outLength = 0;
        if (Kind == DriverKind.Compression)
        {
            if (code is not (OpCode.Forward or OpCode.Inverse))
            {
                return OpStatus.Unsupported;
            }
            outLength = Math.Min(capacity, _device.MaxOpBytes);
            return OpStatus.Ok;
        }
        if (Kind == DriverKind.Digest)
        {
            if (tagLength < 0)
            {
                return OpStatus.BadInput;
            }
            if (code == OpCode.Forward)
            {
                outLength = tagLength;
                return capacity < tagLength ? OpStatus.OutputTooSmall : OpStatus.Ok;
            }
            return code == OpCode.Inverse ? (inputLength < tagLength ? OpStatus.BadInput : OpStatus.Ok) : OpStatus.Unsupported;
        }
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

    private void FreeStray(nint op, ref int strays)
    {
        FreeOp(op);
        if (strays > 0)
        {
            strays--;
        }
    }

    public OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (SessionOf(op.Session) is not { } session)
        {
            return OpStatus.BadSession;
        }
        var aad = Kind == DriverKind.Aead ? op.AadLength : 0;
        if ((uint)aad > (uint)input.Length || (Kind == DriverKind.Aead && op.Nonce.Length != SubmissionDescriptor.NonceSize))
        {
            return OpStatus.BadInput;
        }
        var tagLength = TagLength(op.TagLength);
        if (OutputLength(op.Code, input.Length, aad, output.Length, tagLength, out var outLength) is var status && status != OpStatus.Ok)
        {
            return status;
        }
        var added = false;
        session.DangerousAddRef(ref added);
        try
        {
            return Run(op, session.DangerousGetHandle(), input, aad, Kind == DriverKind.Digest ? tagLength : outLength, output, outLength, out written);
        }
        finally
        {
            session.DangerousRelease();
        }
    }

    private unsafe OpStatus Run(in DriverOp op, nint session, ReadOnlySpan<byte> input, int aad, int reserved, Span<byte> output, int outLength, out int written)
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
            request.AadLength = (uint)aad;
            request.Encrypt = op.Code == OpCode.Forward ? 1u : 0u;
            request.Reserved = (uint)reserved;
            request.UserTag = tag;
            request.Output = outPtr;
            request.OutputCapacity = (uint)output.Length;
            request.Region = (uint)input.Length < _zeroCopyFrom ? 0 : _region; // the shim copies unless both spans lie in the channel's arena
            request.Flags = _requestFlags;
            request.Pad = 0;
            while (true)
            {
                var rc = Enqueue(&request, 1);
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
                    if (WritesGuest(request))
                    {
                        Forget(tag);
                    }
                    return OpStatus.DeadlineExceeded;
                }
                var n = Dequeue(done, PollBurst);
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
                    return Complete(ref d, outPtr, outLength, op.Code == OpCode.Inverse, out written);
                }
            }
        }
    }

    /// <param name="outLength">What the op writes (deflate: at most), from <see cref="OutputLength"/>.</param>
    private unsafe OpStatus Complete(ref DpdkNative.AeadDone d, byte* output, int outLength, bool inverse, out int written)
    {
        written = 0;
        var status = Verdict(ref d, outLength, inverse);
        if (status != OpStatus.Ok)
        {
            FreeOp(d.Op);
            return status;
        }
        var length = (int)d.OutputLength;
        int rc;
        if (_compress)
        {
            rc = DpdkNative.CompTake(d.Op, output, (uint)length);
        }
        else
        {
            // Through the queue pair's caches, as Poll's bursts.
            DpdkNative.Take take;
            take.Op = d.Op;
            take.Output = output;
            take.Capacity = (uint)length;
            take.Flags = 0;
            take.Result = DpdkNative.ErrArgs;
            take.Pad = 0;
            rc = DpdkNative.AeadTakeBurst(_deviceHandle, _queuePair, &take, 1) == DpdkNative.Ok ? take.Result : DpdkNative.ErrArgs;
        }
        if (rc != DpdkNative.Ok)
        {
            return OpStatus.DriverFault;
        }
        written = length;
        return OpStatus.Ok;
    }

    /// <summary>A done op's answer before its output is taken: Ok when the output is to be taken (d.OutputLength bytes).</summary>
    private OpStatus Verdict(ref DpdkNative.AeadDone d, int outLength, bool inverse)
    {
        if (d.Status != DpdkNative.OpOk)
        {
            return d.Status switch
            {
                DpdkNative.OpAuthFailed => OpStatus.AuthFailed,
                DpdkNative.OpOutOfSpace => OpStatus.OutputTooSmall,
                // A stream the device cannot inflate is the guest's bad input, as for the .NET DeflateDriver.
                _ => _compress && inverse ? OpStatus.BadInput : OpStatus.DriverFault,
            };
        }
        var length = (int)d.OutputLength;
        if (d.ZeroCopy != 0)
        {
            _zeroCopied++;
            _outputZeroCopied += d.ZeroCopy == 2 ? 1 : 0;
        }
        return (_compress ? length > outLength : length != outLength) ? OpStatus.DriverFault : OpStatus.Ok;
    }

    // Both go through the device's gate: while a reset has the device stopped they take and return nothing (busy).
    private unsafe int Enqueue(DpdkNative.AeadRequest* requests, int count)
    {
        if (!_device.Enter())
        {
            return DpdkNative.ErrBusy;
        }
        try
        {
            return _compress
                ? DpdkNative.CompEnqueue(_deviceHandle, _queuePair, requests, (ushort)count)
                : DpdkNative.AeadEnqueue(_deviceHandle, _queuePair, requests, (ushort)count);
        }
        finally
        {
            _device.Exit();
        }
    }

    private unsafe int Dequeue(DpdkNative.AeadDone* done, int count)
    {
        if (!_device.Enter())
        {
            return 0;
        }
        try
        {
            return _compress
                ? DpdkNative.CompDequeue(_deviceHandle, _queuePair, done, (ushort)count)
                : DpdkNative.AeadDequeue(_deviceHandle, _queuePair, done, (ushort)count);
        }
        finally
        {
            _device.Exit();
        }
    }

    private void FreeOp(nint op)
    {
        if (_compress)
        {
            DpdkNative.CompOpFree(op);
        }
        else
        {
            DpdkNative.OpFree(op);
        }
    }

    private unsafe void Reap(DpdkNative.AeadDone* done)
    {
        var n = Dequeue(done, PollBurst);
        for (var i = 0; i < n; i++)
        {
            ref var d = ref done[i];
            ref var slot = ref _table[(int)(d.UserTag & _tableMask)];
            if (slot.Used && slot.UserTag == d.UserTag)
            {
                slot.Used = false; // an op of the asynchronous path, surfacing while the driver stops
                _inFlight--;
                FreeOp(d.Op);
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
        if (_ownSession is not null)
        {
            _closing.Add(_ownSession);
        }
        FreeClosedSessions();
        foreach (var leaked in _closing)
        {
            leaked.SetHandleAsInvalid();
        }
        _closing.Clear();
        // A queue pair whose driver gave ops up, saw the device fail them or still waits for some is set up again
        // (the device stopped and started) before another driver takes it: nothing of this one carries over. One
        // whose reset fails stays claimed: out of service, the device's capacity one less.
        var troubled = Volatile.Read(ref _resetRequested) || _abandoned > 0 || Faults > 0 || DeviceHoldsOurOps;
        LastReset = troubled ? _device.ResetQueuePair(_queuePair) ?? "ok" : null;
        if (LastReset is null or "ok")
        {
            _device.ReleaseQueuePair(_queuePair);
        }
        // After the reset nothing of ours is in the queue pair: the channel's registration (and, through its lease, its
        // mapping) can go. A queue pair whose reset failed may still hold ops on the channel: its memory stays mapped
        // and registered, leaked on purpose as its sessions are, never unmapped under a device that may touch it.
        if (LastReset is null or "ok")
        {
            ReleaseArena();
        }
        _device.Handle.DangerousRelease();
    }
}
