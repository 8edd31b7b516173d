using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Vhost;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// A vhost-user virtio-crypto backend as a queue of the AC (docs/vhost.md, "Served by the AC"). fabric_vhost.c parses
/// and validates what the guest posted into a flat request (session, IV, lengths) whose bytes it copied into this
/// queue's private channel (a sealed memfd only the AC maps); this feed posts them as channel descriptors, so the
/// queue's g-driver runs them with everything a channel has (scheduling lane, counters, deadlines, fault signals,
/// driver swap), and hands the answers back for fabric_vhost.c to copy into the guest. The guest's sessions become
/// AC sessions (the key copy the AC rebuilds sessions from after a swap) when their first request arrives.
/// Touched by the owning worker thread only; no allocation or lock per request.
/// </summary>
internal sealed unsafe class AcVhostQueue : IQueueFeed
{
    /// <summary>Requests the AC holds at once (in slots 2t and 2t+1 of the arena).</summary>
    public const int Depth = 64;

    /// <summary>Slot bytes: the largest request (32 KiB) and its MAC, rounded to the channel's 64.</summary>
    public const int SlotSize = 32832;

    private const int GuestSessions = 1024;
    private const int KeySlot = 2 * Depth;
    private const int MaxKey = 32 + 128;
    private const ulong OpenTag = 1UL << 63;
    private const ulong CloseTag = 1UL << 62;
    private const byte None = 0, Opening = 1, Open = 2, Refused = 3;

    private readonly VhostBackendHandle _handle;
    private readonly nint _backend;
    private readonly byte* _sq;
    private readonly byte* _cq;
    private readonly byte* _arena;
    private readonly ulong* _sqTail;
    private readonly ulong* _sqHead;
    private readonly ulong* _cqTail;
    private readonly ulong* _cqHead;
    private readonly ulong _sqMask;
    private readonly ulong _cqMask;
    private readonly ulong _sqEntries;
    private readonly VhostNative.Op[] _pending = GC.AllocateArray<VhostNative.Op>(Depth, pinned: true);
    private readonly VhostNative.Done[] _done = GC.AllocateArray<VhostNative.Done>(Depth, pinned: true);
    private readonly ulong[] _reaped = GC.AllocateArray<ulong>(64, pinned: true);
    private readonly uint[] _acSession = new uint[GuestSessions];
    private readonly uint[] _generation = new uint[GuestSessions];
    private readonly byte[] _state = new byte[GuestSessions];
    private int _pendingHead;
    private int _pendingCount;
    private int _doneCount;
    private int _posted;

    private AcVhostQueue(VhostBackendHandle handle, nint backend, ChannelFile channel, string socketPath)
    {
        _handle = handle;
        _backend = backend;
        Channel = channel;
        SocketPath = socketPath;
        var g = channel.Geometry!.Value;
        var b = channel.Base;
        _sq = b + g.SqOffset;
        _cq = b + g.CqOffset;
        _arena = b + g.ArenaOffset;
        _sqTail = (ulong*)(b + ChannelLayout.SqTailOffset);
        _sqHead = (ulong*)(b + ChannelLayout.SqHeadOffset);
        _cqTail = (ulong*)(b + ChannelLayout.CqTailOffset);
        _cqHead = (ulong*)(b + ChannelLayout.CqHeadOffset);
        _sqEntries = (ulong)g.SqEntries;
        _sqMask = _sqEntries - 1;
        _cqMask = (ulong)g.CqEntries - 1;
    }

    public ChannelFile Channel { get; }

    public string SocketPath { get; }

    /// <summary>The channel this feed posts into: rings larger than it can fill, the in/out slots and one key slot.</summary>
    public static ChannelGeometry Geometry => new(256, 256, 2 * Depth + 1, SlotSize, GuestSessions);

    /// <summary>
    /// What fabric_vhost.c accepts for <paramref name="function"/>: the AES key bytes (0: any AES key size) and the
    /// virtio MAC (0: cipher only).
    /// </summary>
    public static (uint KeyLength, uint Mac)? SessionsOf(string function) => function switch
    {
        "aes-cbc" => (0, 0),
        "aes-128-cbc" => (16, 0),
        "aes-256-cbc" => (32, 0),
        "aes-128-cbc-hmac-sha1" => (16, 2),
        "aes-256-cbc-hmac-sha1" => (32, 2),
        "aes-128-cbc-hmac-sha256" => (16, 4),
        "aes-256-cbc-hmac-sha256" => (32, 4),
        _ => null,
    };

    /// <summary>Listens on <paramref name="socketPath"/> (which must not exist) for a guest of <paramref name="function"/>.</summary>
    public static AcVhostQueue Start(string queueId, string socketPath, string function)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        if (SessionsOf(function) is not { } sessions)
        {
            throw new ArgumentException($"function {function} cannot serve virtio-crypto: vhost-user queues serve aes-cbc, aes-128-cbc, aes-256-cbc and aes-{{128,256}}-cbc-hmac-{{sha1,sha256}}", nameof(function));
        }
        if (!Dpdk.DpdkEal.IsRunning)
        {
            throw new Dpdk.DpdkException($"cannot serve vhost-user on {socketPath}: EAL is not running ({Dpdk.DpdkEal.Failure ?? "DpdkEal.TryStart was not called"})");
        }
        var channel = ChannelFile.CreateSealed("vhost-" + queueId, Geometry);
        try
        {
            var path = System.Text.Encoding.UTF8.GetBytes(socketPath + "\0");
            var err = stackalloc byte[VhostNative.ErrorLength];
            err[0] = 0;
            var handle = new VhostBackendHandle();
            int rc;
            nint backend;
            fixed (byte* p = path)
            {
                rc = VhostNative.BackendCreateFabric(p, sessions.KeyLength, sessions.Mac, channel.Base + Geometry.ArenaOffset, SlotSize, Depth, out backend, err, VhostNative.ErrorLength);
            }
            if (rc != VhostNative.Ok)
            {
                throw new Dpdk.DpdkException(VhostNative.Text(err));
            }
            handle.Adopt(backend);
            return new AcVhostQueue(handle, backend, channel, socketPath);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public bool HasWork => _pendingCount != 0 || _posted != 0 || Stats().GuestReady;

    public bool Idle => _pendingCount == 0 && _posted == 0;

    public int Feed(bool take)
    {
        var work = Answer();
        var n = VhostNative.BackendReaped(_backend, (ulong*)Unsafe.AsPointer(ref _reaped[0]), _reaped.Length);
        for (var i = 0; i < n; i++)
        {
            var id = (uint)_reaped[i];
            if (id < GuestSessions && _generation[id] == (uint)(_reaped[i] >> 32))
            {
                Forget(id);
            }
        }
        if (take && _pendingCount == 0)
        {
            _pendingHead = 0;
            _pendingCount = Math.Max(0, VhostNative.BackendFetch(_backend, (VhostNative.Op*)Unsafe.AsPointer(ref _pending[0]), Depth));
            work += _pendingCount;
        }
        if (_pendingCount != 0)
        {
            Post();
        }
        Flush();
        return work;
    }

    /// <summary>Takes the queue's completions: data answers go back to the guest, session answers unblock posting.</summary>
    public int Answer()
    {
        var head = Volatile.Read(ref *_cqHead);
        var tail = Volatile.Read(ref *_cqTail);
        if (head == tail)
        {
            return 0;
        }
        var opened = false;
        for (; head != tail; head++)
        {
            ref var c = ref Unsafe.AsRef<CompletionEntry>(_cq + (long)((head & _cqMask) * ChannelLayout.CompletionEntrySize));
            if ((c.Tag & OpenTag) != 0)
            {
                var id = (uint)c.Tag & 0xFFFF;
                _state[id] = c.Status == OpStatus.Ok ? Open : Refused;
                _acSession[id] = (uint)c.Value;
                CryptographicOperations.ZeroMemory(new Span<byte>(_arena + (long)KeySlot * SlotSize, MaxKey));
                opened = true;
                continue;
            }
            if ((c.Tag & CloseTag) != 0)
            {
                continue;
            }
            _posted--;
            Complete((uint)c.Tag, VirtioStatus(c.Status), c.OutLength);
        }
        Volatile.Write(ref *_cqHead, tail);
        if (opened && _pendingCount != 0)
        {
            Post();
        }
        Flush();
        return 1;
    }

    /// <summary>Posts fetched requests in order; stops at one whose session is still being opened.</summary>
    private void Post()
    {
        while (_pendingCount != 0 && SqFree())
        {
            ref var op = ref _pending[_pendingHead];
            var id = op.Session;
            var current = _generation[id] == op.Generation;
            if (current && _state[id] == Open)
            {
                PostData(ref op, _acSession[id]);
            }
            else if (current && _state[id] == Opening)
            {
                return; // its OpenSession is ahead of it in the ring
            }
            else if (current && _state[id] == Refused)
            {
                Complete(op.Token, VirtioInvalidSession, 0);
            }
            else if (!OpenSessionFor(id, op.Generation))
            {
                Complete(op.Token, VirtioInvalidSession, 0);
            }
            else
            {
                return;
            }
            _pendingHead++;
            _pendingCount--;
        }
    }

    private void PostData(ref VhostNative.Op op, uint session)
    {
        ref var d = ref NextDescriptor();
        d.Tag = op.Token;
        d.Op = op.Encrypt != 0 ? OpCode.Forward : OpCode.Inverse;
        d.Session = session;
        d.InSlot = 2 * op.Token;
        d.InOffset = 0;
        d.InLength = op.InLength;
        d.OutSlot = 2 * op.Token + 1;
        d.OutOffset = op.OutOffset;
        d.OutCapacity = op.OutCapacity;
        d.AadLength = op.Aad;
        d.Param = op.Iv;
        Publish();
        _posted++;
    }

    /// <summary>Posts an OpenSession with the guest session's key (a previous owner of the slot is closed first).</summary>
    private bool OpenSessionFor(uint id, uint generation)
    {
        if (_state[id] is Open)
        {
            Forget(id);
        }
        var key = _arena + (long)KeySlot * SlotSize;
        var length = VhostNative.BackendSessionKey(_backend, id, generation, key, MaxKey);
        _generation[id] = generation;
        if (length <= 0)
        {
            _state[id] = Refused;
            return false;
        }
        if (!SqFree())
        {
            _state[id] = None;
            return true; // tried again on the next visit
        }
        ref var d = ref NextDescriptor();
        d.Tag = OpenTag | id;
        d.Op = OpCode.OpenSession;
        d.InSlot = KeySlot;
        d.InLength = (uint)length;
        Publish();
        _state[id] = Opening;
        return true;
    }

    private void Forget(uint id)
    {
        if (_state[id] == Open && SqFree())
        {
            ref var d = ref NextDescriptor();
            d.Tag = CloseTag | id;
            d.Op = OpCode.CloseSession;
            d.Session = _acSession[id];
            Publish();
        }
        _state[id] = None;
        _acSession[id] = 0;
    }

    private bool SqFree() => Volatile.Read(ref *_sqTail) - Volatile.Read(ref *_sqHead) < _sqEntries;

    private ref SubmissionDescriptor NextDescriptor()
    {
        var tail = *_sqTail;
        ref var d = ref Unsafe.AsRef<SubmissionDescriptor>(_sq + (long)((tail & _sqMask) * ChannelLayout.SubmissionEntrySize));
        d = default;
        return ref d;
    }

    private void Publish() => Volatile.Write(ref *_sqTail, *_sqTail + 1);

    private void Complete(uint token, uint status, uint written)
    {
        ref var r = ref _done[_doneCount++];
        r.Token = token;
        r.Status = status;
        r.Written = written;
        if (_doneCount == _done.Length)
        {
            Flush();
        }
    }

    private void Flush()
    {
        if (_doneCount != 0)
        {
            VhostNative.BackendComplete(_backend, (VhostNative.Done*)Unsafe.AsPointer(ref _done[0]), _doneCount);
            _doneCount = 0;
        }
    }

    private const uint VirtioInvalidSession = 4;

    /// <summary>virtio-crypto's status for a Fabric one: 0 OK, 1 ERR, 2 BADMSG, 3 NOTSUPP, 4 INVSESS.</summary>
    private static uint VirtioStatus(OpStatus status) => status switch
    {
        OpStatus.Ok => 0,
        OpStatus.AuthFailed or OpStatus.BadInput or OpStatus.BadDescriptor or OpStatus.OutputTooSmall => 2,
        OpStatus.Unsupported or OpStatus.BadKey => 3,
        OpStatus.BadSession => 4,
        _ => 1,
    };

    public void Close()
    {
        Answer();
        for (; _pendingCount != 0; _pendingHead++, _pendingCount--)
        {
            Complete(_pending[_pendingHead].Token, 1, 0);
        }
        Flush();
    }

    public VhostCryptoStats Stats() => _handle.Stats();

    /// <summary>Unregisters the socket and frees the backend; the engine unmaps the channel after.</summary>
    public void Dispose() => _handle.Dispose();
}
