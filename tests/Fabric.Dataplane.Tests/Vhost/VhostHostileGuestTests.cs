using System.Buffers.Binary;
using Fabric.Dataplane.Tests.Dpdk;
using static Fabric.Dataplane.Tests.Drivers.AesCbcKnownAnswerTests;
using static Fabric.Dataplane.Tests.Drivers.DriverHarness;
using static Fabric.Dataplane.Tests.Vhost.VhostTestGuest;
using static Fabric.Dataplane.Tests.Vhost.VirtioCrypto;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>
/// A guest driver is untrusted (issue 16, Bad input): malformed descriptor chains each get an error status (or, when
/// the chain has no writable byte to hold one, an empty answer), never a crash, a hang or a write outside guest
/// memory; a peer that vanishes mid-request or a second peer on the socket does not stop the backend serving.
/// </summary>
[Collection(DpdkCollection.Name)]
public class VhostHostileGuestTests(DpdkFixture dpdk)
{
    private const ulong Readable = DataStart;            // header || IV || source of the crafted requests
    private const ulong Writable = WritableAt;           // destination || status

    [Fact]
    public void Malformed_descriptor_chains_get_an_error_and_the_guest_keeps_being_served()
    {
        using var rig = VhostRig.OnAc(dpdk);
        using var guest = rig.Guest();
        var session = guest.CreateSession(Hex(Key128), direction: 1);
        Assert.True(session >= 0);
        var request = Request(session, 64);

        // A loop: readable -> writable -> writable, which links to itself.
        Expect(rig, guest, StatusBadMsg, () =>
        {
            request.CopyTo(guest.Memory[(int)Readable..]);
            guest.WriteDescriptor(0, Readable, (uint)request.Length, FlagNext, 1);
            guest.WriteDescriptor(1, Writable, 40, FlagWrite | FlagNext, 2);
            guest.WriteDescriptor(2, Writable + 40, 40, FlagWrite | FlagNext, 2);
            return 0;
        }, statusAt: Writable + 79);
        // A self-loop on the head with no writable byte at all: answered, nothing written.
        ExpectEmpty(rig, guest, () =>
        {
            guest.WriteDescriptor(0, Readable, (uint)request.Length, FlagNext, 0);
            return 0;
        });
        // Lengths beyond guest memory: a writable part running past the end, and an address far outside it.
        Expect(rig, guest, StatusBadMsg, () =>
        {
            guest.WriteDescriptor(0, Readable, (uint)request.Length, FlagNext, 1);
            guest.WriteDescriptor(1, Writable, 10, FlagWrite | FlagNext, 2);
            guest.WriteDescriptor(2, MemorySize - 16, 64, FlagWrite, 0);
            return 0;
        }, statusAt: Writable + 9);
        ExpectEmpty(rig, guest, () =>
        {
            guest.WriteDescriptor(0, 1ul << 40, (uint)request.Length, FlagNext, 1);
            guest.WriteDescriptor(1, Writable, 65, FlagWrite, 0);
            return 0;
        });
        ExpectEmpty(rig, guest, () =>
        {
            guest.WriteDescriptor(0, ulong.MaxValue - 8, 64, 0, 0); // address + length wraps
            return 0;
        });
        // Out-of-range indexes: a next beyond the table, a head beyond the table.
        ExpectEmpty(rig, guest, () => Plain(guest, request, next: 300));
        ExpectEmpty(rig, guest, () => 300);
        ExpectEmpty(rig, guest, () => 0xffff);
        // Readable/writable mixups: readable after writable, the request in a writable descriptor, no writable part.
        Expect(rig, guest, StatusBadMsg, () =>
        {
            guest.WriteDescriptor(0, Writable, 65, FlagWrite | FlagNext, 1);
            guest.WriteDescriptor(1, Readable, (uint)request.Length, 0, 0);
            return 0;
        }, statusAt: Writable + 64);
        Expect(rig, guest, StatusBadMsg, () =>
        {
            request.CopyTo(guest.Memory[(int)Writable..]);
            guest.WriteDescriptor(0, Writable, (uint)request.Length + 65, FlagWrite, 0);
            return 0;
        }, statusAt: Writable + (ulong)request.Length + 64);
        ExpectEmpty(rig, guest, () =>
        {
            request.CopyTo(guest.Memory[(int)Readable..]);
            guest.WriteDescriptor(0, Readable, (uint)request.Length, 0, 0);
            return 0;
        });
        // A writable part too short for destination + status, and a zero-length writable descriptor.
        Expect(rig, guest, StatusBadMsg, () => Plain(guest, request, writable: 64), statusAt: Writable + 63);
        Expect(rig, guest, StatusBadMsg, () =>
        {
            request.CopyTo(guest.Memory[(int)Readable..]);
            guest.WriteDescriptor(0, Readable, (uint)request.Length, FlagNext, 1);
            guest.WriteDescriptor(1, Writable, 65, FlagWrite | FlagNext, 2);
            guest.WriteDescriptor(2, 0, 0, FlagWrite, 0);
            return 0;
        }, statusAt: Writable + 64);
        // Header fields: wrong session ids, lengths that disagree, an IV that is not 16 bytes, oversized, not a cipher.
        Expect(rig, guest, StatusInvSess, () => Plain(guest, Request(999, 64)), statusAt: Writable + 64);
        Expect(rig, guest, StatusInvSess, () => Plain(guest, Request(-1, 64)), statusAt: Writable + 64);
        Expect(rig, guest, StatusBadMsg, () => Plain(guest, Request(session, 64, dst: 48)), statusAt: Writable + 48);
        Expect(rig, guest, StatusBadMsg, () => Plain(guest, Request(session, 64, iv: 12)), statusAt: Writable + 64);
        Expect(rig, guest, StatusBadMsg, () => Plain(guest, Request(session, 60)), statusAt: Writable + 60);
        Expect(rig, guest, StatusNotSupp, () => Plain(guest, Request(session, 64 * 1024), writable: 64 * 1024 + 1), statusAt: Writable + 64 * 1024);
        Expect(rig, guest, StatusNotSupp, () => Plain(guest, Request(session, 64, opType: 3)), statusAt: Writable + 64);
        Expect(rig, guest, StatusBadMsg, () => Plain(guest, Request(session, 64, opcode: Decrypt)), statusAt: Writable + 64);
        // Ten 7-byte writable segments for one 64-byte destination: more than the backend gathers (8).
        Expect(rig, guest, StatusNotSupp, () =>
        {
            request.CopyTo(guest.Memory[(int)Readable..]);
            guest.WriteDescriptor(0, Readable, (uint)request.Length, FlagNext, 1);
            for (var i = 1; i <= 10; i++)
            {
                guest.WriteDescriptor(i, Writable + (ulong)(i - 1) * 7, 7, (ushort)(FlagWrite | (i < 10 ? FlagNext : 0)), (ushort)(i + 1));
            }
            return 0;
        }, statusAt: Writable + 69);
        // Indirect tables: a length that is not whole descriptors, outside memory, nested, and one with a loop.
        ExpectEmpty(rig, guest, () => Indirect(guest, 20));
        ExpectEmpty(rig, guest, () =>
        {
            guest.WriteDescriptor(0, 1ul << 40, 32, FlagIndirect, 0);
            return 0;
        });
        ExpectEmpty(rig, guest, () =>
        {
            var table = guest.Memory[(int)(MemorySize - 4096)..];
            WriteDescriptor(table, MemorySize - 2048, 32, FlagIndirect, 0);
            guest.WriteDescriptor(0, MemorySize - 4096, 16, FlagIndirect, 0);
            return 0;
        });
        Expect(rig, guest, StatusBadMsg, () =>
        {
            var table = guest.Memory[(int)(MemorySize - 4096)..];
            request.CopyTo(guest.Memory[(int)Readable..]);
            WriteDescriptor(table, Readable, (uint)request.Length, FlagNext, 1);
            WriteDescriptor(table[16..], Writable, 65, FlagWrite | FlagNext, 1); // links to itself
            guest.WriteDescriptor(0, MemorySize - 4096, 32, FlagIndirect, 0);
            return 0;
        }, statusAt: Writable + 64);

        // After all of it the same guest is served, through a direct and an indirect chain.
        var ok = Run(rig, guest, session, Encrypt, Hex(Iv), Hex(Plaintext));
        Assert.Equal(StatusOk, ok.Status);
        Assert.Equal(Ciphertext128, Convert.ToHexStringLower(ok.Data));
        Expect(rig, guest, StatusOk, () =>
        {
            var table = guest.Memory[(int)(MemorySize - 4096)..];
            byte[] good = [.. VirtioCrypto.Header(session, Encrypt, OpCipher, 16, 64, 64), .. Hex(Iv), .. Hex(Plaintext)];
            good.CopyTo(guest.Memory[(int)Readable..]);
            WriteDescriptor(table, Readable, (uint)good.Length, FlagNext, 1);
            WriteDescriptor(table[16..], Writable, 65, FlagWrite, 0);
            guest.WriteDescriptor(0, MemorySize - 4096, 32, FlagIndirect, 0);
            return 0;
        }, statusAt: Writable + 64);
        Assert.Equal(Ciphertext128, Convert.ToHexStringLower(guest.Memory.Slice((int)Writable, 64)));
        var stats = rig.Stats();
        Assert.Equal(stats.Fetched, stats.Completed);
        Assert.Equal(2ul, stats.Completed - stats.Failed);
    }

    [Fact]
    public void A_guest_that_vanishes_mid_request_or_a_second_peer_does_not_stop_the_backend()
    {
        using var rig = VhostRig.OnAc(dpdk);
        using (var vanishing = rig.Guest())
        {
            var session = vanishing.CreateSession(Hex(Key128), direction: 1);
            byte[] good = [.. VirtioCrypto.Header(session, Encrypt, OpCipher, 16, 4096, 4096), .. new byte[16 + 4096]];
            good.CopyTo(vanishing.Memory[(int)Readable..]);
            for (var i = 0; i < 16; i++)
            {
                vanishing.WriteDescriptor(2 * i, Readable, (uint)good.Length, FlagNext, (ushort)(2 * i + 1));
                vanishing.WriteDescriptor(2 * i + 1, Writable + (ulong)i * 8192, 4097, FlagWrite, 0);
                vanishing.Post((ushort)(2 * i));
            }
            VhostRig.Await(() => rig.Stats().Fetched > 0, "the AC to take some of the requests"); // the rest still on the ring
        }
        VhostRig.Await(() => !rig.Stats().GuestReady, "the backend to tear the vanished guest's device down");

        using var guest = rig.Guest();
        var id = guest.CreateSession(Hex(Key128), direction: 1);
        Assert.Equal(Ciphertext128, Convert.ToHexStringLower(Run(rig, guest, id, Encrypt, Hex(Iv), Hex(Plaintext)).Data));

        // A second peer while the guest is live: it completes the whole handshake with memory of its own, but the
        // backend keeps serving the first guest's ring, never the newcomer's.
        using (var intruder = rig.Connect())
        {
            intruder.Start();
            intruder.Exchange(1 /* GET_FEATURES */, 1, []); // its messages, new_device included, are processed by now
            Assert.Equal(2u, rig.Stats().GuestsSeen);
            byte[] bait = [.. VirtioCrypto.Header(0, Encrypt, OpCipher, 16, 64, 64), .. new byte[80]];
            bait.CopyTo(intruder.Memory[(int)Readable..]);
            intruder.WriteDescriptor(0, Readable, (uint)bait.Length, FlagNext, 1);
            intruder.WriteDescriptor(1, Writable, 65, FlagWrite, 0);
            intruder.Post(0);
            Assert.Equal(Ciphertext128, Convert.ToHexStringLower(Run(rig, guest, id, Encrypt, Hex(Iv), Hex(Plaintext)).Data));
            Assert.Equal(0, intruder.UsedIndex);
        }
        Assert.Equal(Ciphertext128, Convert.ToHexStringLower(Run(rig, guest, id, Encrypt, Hex(Iv), Hex(Plaintext)).Data));
        Assert.True(rig.Stats().GuestReady);
    }

    [Fact]
    public void Two_thousand_random_descriptor_chains_are_each_answered_and_the_backend_keeps_serving()
    {
        const int chains = 2000;
        using var rig = VhostRig.OnAc(dpdk);
        var random = new Random(20261202);
        using (var guest = rig.Guest())
        {
            // The queue serves aes-cbc: cipher sessions of any key size (chain sessions are refused).
            long[] sessions = [guest.CreateSession(Hex(Key128), 1), guest.CreateSession(Hex(Key256), 2), guest.CreateSession(Hex(Key192), 1)];
            Assert.All(sessions, s => Assert.True(s >= 0));
            random.NextBytes(guest.Memory[(int)DataStart..]);
            for (var n = 0; n < chains; n++)
            {
                if (n % 100 == 0)
                {
                    random.NextBytes(guest.Memory[(int)DataStart..]); // fresh noise for indirect tables and headers
                }
                var head = RandomChain(guest, random, sessions);
                guest.Post(head);
                var answer = Assert.Single(guest.AwaitAnswers(VhostRig.Patience));
                Assert.Equal(head, answer.Id);
                Assert.True(answer.Length <= 64 * 1024 + 64, $"chain {n}: used length {answer.Length}");
            }
            var stats = rig.Stats();
            Assert.Equal((ulong)chains, stats.Fetched);
            Assert.Equal(stats.Fetched, stats.Completed);
            Assert.True(stats.Failed > chains / 2, $"only {stats.Failed} of {chains} random chains were refused");
            Assert.Equal(Ciphertext128, Convert.ToHexStringLower(Run(rig, guest, sessions[0], Encrypt, Hex(Iv), Hex(Plaintext)).Data));
        }
        VhostRig.Await(() => !rig.Stats().GuestReady, "the fuzzed guest's device to be torn down");
        using var next = rig.Guest();
        var id = next.CreateSession(Hex(Key128), direction: 1);
        Assert.Equal(Ciphertext128, Convert.ToHexStringLower(Run(rig, next, id, Encrypt, Hex(Iv), Hex(Plaintext)).Data));
    }

    /// <summary>
    /// 1 to 6 descriptors at random indexes with random flags, lengths and links (loops, out-of-range nexts,
    /// indirect tables of noise, addresses past the end); often a plausible header with random fields and session.
    /// Every address stays out of the ring pages, so the rings themselves stay the test's.
    /// </summary>
    private static ushort RandomChain(VhostTestGuest guest, Random random, long[] sessions)
    {
        var count = random.Next(1, 7);
        var indexes = Enumerable.Range(0, count).Select(_ => (ushort)random.Next(QueueSize)).ToArray();
        if (random.Next(3) > 0)
        {
            var src = (uint)(random.Next(4) switch { 0 => random.Next(0, 100), 1 => 64, 2 => 16 * random.Next(1, 300), _ => random.Next() });
            var dst = random.Next(4) == 0 ? (uint)random.Next(0, 100) : src;
            var session = random.Next(5) switch { 0 => random.NextInt64(), 1 => random.Next(2000), _ => sessions[random.Next(sessions.Length)] };
            var chain = new Chain((uint)random.Next(0, 64), (uint)(16 * random.Next(0, 5)), (uint)random.Next(0, 64), (uint)random.Next(0, 128),
                (uint)(random.Next(3) == 0 ? random.Next(0, 40) : 20), (uint)(random.Next(8) == 0 ? random.Next(1, 16) : 0));
            var header = VirtioCrypto.Header(session, (uint)random.Next(3), (uint)random.Next(4), random.Next(6) == 0 ? (uint)random.Next(0, 32) : 16, src, dst, chain);
            header.CopyTo(guest.Memory[(int)Readable..]);
        }
        for (var i = 0; i < count; i++)
        {
            ulong addr = random.Next(10) switch
            {
                0 => (ulong)random.NextInt64(),
                1 => MemorySize - (ulong)random.Next(1, 256),
                2 => Readable,
                _ => DataStart + (ulong)random.NextInt64(0, (long)(MemorySize - DataStart)),
            };
            var length = (uint)(random.Next(6) switch { 0 => random.Next(), 1 => 0, 2 => 16 * random.Next(1, 64), _ => random.Next(1, 8192) });
            var flags = (ushort)0;
            if (i < count - 1 || random.Next(8) == 0)
            {
                flags |= FlagNext;
            }
            if (random.Next(2) == 0)
            {
                flags |= FlagWrite;
            }
            if (random.Next(10) == 0)
            {
                flags |= FlagIndirect;
                length = (uint)(16 * random.Next(0, 20) + (random.Next(4) == 0 ? random.Next(16) : 0));
            }
            var next = i < count - 1 ? indexes[i + 1] : (ushort)random.Next(random.Next(4) == 0 ? 65536 : QueueSize);
            guest.WriteDescriptor(indexes[i], addr, length, flags, next);
        }
        return random.Next(20) == 0 ? (ushort)random.Next(65536) : indexes[0];
    }

    private static byte[] Request(long session, int length, int dst = -1, int iv = 16, uint opType = OpCipher, uint opcode = Encrypt) =>
        [.. VirtioCrypto.Header(session, opcode, opType, (uint)iv, (uint)length, (uint)(dst < 0 ? length : dst)), .. new byte[iv + Math.Min(length, 64 * 1024)]];

    /// <summary>The usual two-descriptor request; `writable` bytes of destination + status, `next` the readable's link.</summary>
    private static ushort Plain(VhostTestGuest guest, byte[] request, int writable = -1, ushort next = 1)
    {
        request.CopyTo(guest.Memory[(int)Readable..]);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(32));
        guest.WriteDescriptor(0, Readable, (uint)request.Length, FlagNext, next);
        guest.WriteDescriptor(1, Writable, writable < 0 ? length + 1 : (uint)writable, FlagWrite, 0);
        return 0;
    }

    private static ushort Indirect(VhostTestGuest guest, uint length)
    {
        guest.WriteDescriptor(0, MemorySize - 4096, length, FlagIndirect, 0);
        return 0;
    }

    /// <summary>Posts the chain <paramref name="write"/> builds and expects one answer with <paramref name="status"/> at <paramref name="statusAt"/>.</summary>
    private static void Expect(VhostRig rig, VhostTestGuest guest, byte status, Func<ushort> write, ulong statusAt)
    {
        guest.Memory.Slice((int)Writable, 128 * 1024).Fill(0xee);
        var head = write();
        guest.Post(head);
        var answer = Assert.Single(guest.AwaitAnswers(VhostRig.Patience));
        Assert.Equal(head, answer.Id);
        Assert.Equal(status, guest.Memory[(int)statusAt]);
    }

    /// <summary>A chain with no writable byte the backend may use: answered with used length 0, nothing written.</summary>
    private static void ExpectEmpty(VhostRig rig, VhostTestGuest guest, Func<ushort> write)
    {
        guest.Memory.Slice((int)Writable, 128 * 1024).Fill(0xee);
        var head = write();
        guest.Post(head);
        var answer = Assert.Single(guest.AwaitAnswers(VhostRig.Patience));
        Assert.Equal(head, answer.Id);
        Assert.Equal(0u, answer.Length);
        Assert.All(guest.Memory.Slice((int)Writable, 128 * 1024).ToArray(), b => Assert.Equal(0xee, b));
    }
}
