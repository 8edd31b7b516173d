using System.Diagnostics;
using System.Security.Cryptography;
using Fabric.Dataplane.Dpdk;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>
/// The shim's fd_aead_take_burst (one call per dequeued burst, ops and mbufs back through the queue pair's caches)
/// called directly: bad arguments refused without touching anything, outputs byte-identical to .NET, ops given up
/// on freed without their output, and ops and mbufs recycled (many times the pools' size go through one queue pair).
/// </summary>
[Collection(DpdkCollection.Name)]
public unsafe class TakeBurstTests(DpdkFixture dpdk)
{
    private const int Burst = 32;
    private const int Size = 64;

    private static readonly byte[] s_key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void Bad_arguments_are_refused_and_nothing_is_touched()
    {
        var device = dpdk.Device("crypto_aesni_gcm0");
        var handle = device.Handle.DangerousGetHandle();
        var items = stackalloc DpdkNative.Take[65];
        for (var i = 0; i < 65; i++)
        {
            items[i] = default;
            items[i].Op = 0x1234; // never read: every call below is refused before the items
        }
        Assert.Equal(DpdkNative.ErrArgs, DpdkNative.AeadTakeBurst(handle, 0, items, 65)); // past FD_MAX_BURST
        Assert.Equal(DpdkNative.ErrArgs, DpdkNative.AeadTakeBurst(handle, 4, items, 1)); // no such queue pair (4 opened)
        Assert.Equal(DpdkNative.ErrArgs, DpdkNative.AeadTakeBurst(0, 0, items, 1));
        Assert.Equal(DpdkNative.ErrArgs, DpdkNative.AeadTakeBurst(handle, 0, null, 1));
        Assert.Equal(DpdkNative.ErrArgs, DpdkNative.AeadTakeBurst(dpdk.Any("compress_isal0").Handle.DangerousGetHandle(), 0, items, 1)); // a compressdev
        Assert.Equal(0x1234, items[0].Op);
        Assert.Equal(DpdkNative.Ok, DpdkNative.AeadTakeBurst(handle, 0, items, 0));
        // A null op in a burst: that item is answered ErrArgs, the call itself succeeds.
        items[0].Op = 0;
        Assert.Equal(DpdkNative.Ok, DpdkNative.AeadTakeBurst(handle, 0, items, 1));
        Assert.Equal(DpdkNative.ErrArgs, items[0].Result);
    }

    [Fact]
    public void Bursts_are_taken_byte_identical_freed_when_given_up_and_recycled()
    {
        var device = dpdk.Device("crypto_aesni_gcm0");
        var handle = device.Handle.DangerousGetHandle();
        var queuePair = device.ClaimQueuePair();
        Assert.True(queuePair >= 0);
        var err = stackalloc byte[DpdkNative.ErrorLength];
        nint session;
        fixed (byte* k = s_key)
        {
            Assert.Equal(DpdkNative.Ok, DpdkNative.SessionCreate(handle, DpdkNative.AlgoAesGcm, k, 32, out session, err, DpdkNative.ErrorLength));
        }
        try
        {
            var inputs = new byte[Burst * Size];
            RandomNumberGenerator.Fill(inputs);
            var ivs = new byte[Burst * 12];
            RandomNumberGenerator.Fill(ivs);
            var expected = new byte[Burst * (Size + 16)];
            using (var gcm = new AesGcm(s_key, 16))
            {
                for (var i = 0; i < Burst; i++)
                {
                    gcm.Encrypt(ivs.AsSpan(i * 12, 12), inputs.AsSpan(i * Size, Size), expected.AsSpan(i * (Size + 16), Size), expected.AsSpan(i * (Size + 16) + Size, 16));
                }
            }
            var outputs = new byte[Burst * (Size + 16)];
            var requests = stackalloc DpdkNative.AeadRequest[Burst];
            var done = stackalloc DpdkNative.AeadDone[Burst];
            var takes = stackalloc DpdkNative.Take[Burst];
            // 300 bursts of 32: 9 600 ops through one queue pair whose pools hold a few hundred.
            for (var round = 0; round < 300; round++)
            {
                Array.Clear(outputs);
                fixed (byte* input = inputs)
                fixed (byte* iv = ivs)
                fixed (byte* output = outputs)
                {
                    for (var i = 0; i < Burst; i++)
                    {
                        ref var r = ref requests[i];
                        r = default;
                        r.Session = session;
                        r.Iv = iv + i * 12;
                        r.Input = input + i * Size;
                        r.InputLength = Size;
                        r.Encrypt = 1;
                        r.Reserved = Size + 16;
                        r.UserTag = (ulong)i;
                        r.Output = output + i * (Size + 16);
                        r.OutputCapacity = Size + 16;
                    }
                    var enqueued = 0;
                    var got = 0;
                    var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
                    while (got < Burst)
                    {
                        Assert.True(Stopwatch.GetTimestamp() < until, $"round {round}: {got} of {Burst} ops came back");
                        if (enqueued < Burst)
                        {
                            var rc = DpdkNative.AeadEnqueue(handle, (ushort)queuePair, requests + enqueued, (ushort)(Burst - enqueued));
                            Assert.True(rc >= 0 || rc == DpdkNative.ErrBusy || rc == DpdkNative.ErrNoMemory, $"enqueue: {rc}");
                            enqueued += Math.Max(0, rc);
                        }
                        got += DpdkNative.AeadDequeue(handle, (ushort)queuePair, done + got, (ushort)(Burst - got));
                    }
                    for (var i = 0; i < Burst; i++)
                    {
                        var tag = (int)done[i].UserTag;
                        ref var t = ref takes[i];
                        t = default;
                        t.Op = done[i].Op;
                        t.Output = output + tag * (Size + 16);
                        // Every fourth op given up on (only freed), every seventh with too little room.
                        t.Flags = tag % 4 == 3 ? DpdkNative.TakeFreeOnly : 0;
                        t.Capacity = tag % 7 == 6 ? (uint)Size : Size + 16;
                    }
                    Assert.Equal(DpdkNative.Ok, DpdkNative.AeadTakeBurst(handle, (ushort)queuePair, takes, Burst));
                    for (var i = 0; i < Burst; i++)
                    {
                        Assert.Equal(0, takes[i].Op); // freed
                        var tag = (int)done[i].UserTag;
                        var slot = outputs.AsSpan(tag * (Size + 16), Size + 16);
                        if (tag % 4 == 3)
                        {
                            Assert.Equal(DpdkNative.Ok, takes[i].Result);
                            Assert.True(slot.IndexOfAnyExcept((byte)0) < 0, "an op given up on wrote its output");
                        }
                        else if (tag % 7 == 6)
                        {
                            Assert.Equal(DpdkNative.ErrTooLarge, takes[i].Result);
                            Assert.True(slot.IndexOfAnyExcept((byte)0) < 0, "an output too large for its room was written");
                        }
                        else
                        {
                            Assert.Equal(DpdkNative.Ok, takes[i].Result);
                            Assert.True(slot.SequenceEqual(expected.AsSpan(tag * (Size + 16), Size + 16)), $"op {tag} differs from .NET");
                        }
                    }
                }
            }
        }
        finally
        {
            DpdkNative.AeadSessionFree(session);
            device.ReleaseQueuePair(queuePair);
        }
    }
}
