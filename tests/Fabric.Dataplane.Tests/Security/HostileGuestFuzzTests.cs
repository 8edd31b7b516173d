using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Guest;
using Xunit.Abstractions;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Security;

/// <summary>
/// A guest that writes garbage: random descriptors (biased to the edges of every range) and random
/// corruption of the header and of every ring index. The AC must answer each descriptor it takes with
/// one completion, refuse every out-of-range one, write nowhere but validated output ranges, fault a
/// channel whose indices make no sense (instead of looping), and keep serving.
/// </summary>
public class HostileGuestFuzzTests(ITestOutputHelper output)
{
    private const int Descriptors = 1_000_000;
    private const int SlotCount = 16;
    private const int SlotSize = 4096;
    // Slots the fuzzer never names as a valid output: they must come out of the run untouched.
    private const int FirstCanarySlot = 12;

    [Fact]
    public async Task A_million_hostile_descriptors_and_index_corruption_never_escape_the_channel_nor_stop_the_AC()
    {
        var random = new Random(20240601);
        var engine = new AccelerationEngine(QuickOptions());
        await using var _ = engine;
        var geometry = new ChannelGeometry(256, 256, SlotCount, SlotSize, MaxSessions: 8);
        var sw = Stopwatch.StartNew();
        long sent = 0, faults = 0, corruptions = 0;
        var statusCounts = new long[16];
        var channelNumber = 0;
        while (sent < Descriptors)
        {
            // One channel per round: a round ends when the fuzzer corrupts the guest-owned indices.
            var id = "fuzz-" + channelNumber++;
            var path = NewChannelPath();
            await engine.AddQueue(id, ChannelFile.Create(path, geometry), new AesGcmDriver());
            var guest = GuestChannel.Open(path);
            using var raw = ChannelFile.OpenExisting(path);
            var canary = FillCanaries(guest);
            var sessions = new[] { guest.OpenSession(new byte[32], 0, Patience), guest.OpenSession(Enumerable.Repeat((byte)7, 32).ToArray(), 0, Patience) };
            var roundEnd = Math.Min(Descriptors, sent + random.Next(50_000, 300_000));
            var batch = new SubmissionDescriptor[64];
            var completions = new CompletionEntry[64];
            while (sent < roundEnd)
            {
                var n = random.Next(1, batch.Length + 1);
                for (var i = 0; i < n; i++)
                {
                    batch[i] = RandomDescriptor(random, (ulong)i, sessions);
                }
                Assert.Equal(n, guest.SubmitBatch(batch.AsSpan(0, n)));
                var got = 0;
                while (got < n)
                {
                    var k = guest.Wait(completions.AsSpan(0, n - got), Patience);
                    Assert.True(k > 0, $"no completion for descriptor {got} of a burst of {n}: the AC lost or stalled on it");
                    for (var j = 0; j < k; j++)
                    {
                        var c = completions[j];
                        Assert.Equal((ulong)(got + j), c.Tag);
                        CheckCompletion(batch[got + j], c);
                        statusCounts[(int)c.Status]++;
                    }
                    got += k;
                }
                sent += n;
                if (random.Next(400) == 0)
                {
                    corruptions++;
                    CorruptHeaderAndAcIndices(random, raw, guest);
                    // The raw Nop moved the tail behind the guest library's back: reopen, as a restarted guest would.
                    guest.Dispose();
                    guest = GuestChannel.Open(path);
                }
            }

            // End of round: corrupt an index the AC must read, and see it fault the channel, not hang or crash.
            CorruptGuestIndex(random, raw, guest);
            Until(() => guest.State == ChannelState.Faulted, "the AC to fault a channel with a corrupt index");
            faults++;
            Assert.False(guest.Wait(out CompletionEntry _, Patience), "a faulted channel must not yield completions");
            Assert.Equal(canary, guest.Slot(FirstCanarySlot)[..SlotSize].ToArray().Concat(AllCanaries(guest)).ToArray());
            guest.Dispose();
            var removal = await engine.RemoveQueueAsync(id, TimeSpan.FromSeconds(1));
            Assert.NotNull(removal.FaultReason);
        }

        // The worker is alive and still serves a fresh channel.
        var loops = engine.Workers[0].Loops;
        var lastPath = NewChannelPath();
        await engine.AddQueue("after", ChannelFile.Create(lastPath, geometry), new Sha256Driver());
        using (var g = GuestChannel.Open(lastPath))
        {
            Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(1, OpCode.Forward, 0, 0, 3, 1, 32), Patience).Status);
        }
        Assert.True(engine.Workers[0].Loops > loops);
        Assert.True(engine.Workers[0].Running);
        await engine.RemoveQueueAsync("after", TimeSpan.FromSeconds(1));

        output.WriteLine($"{sent:N0} descriptors, {corruptions} header/AC-index corruptions, {faults} faulted channels in {sw.Elapsed.TotalSeconds:F1} s");
        for (var s = 0; s < statusCounts.Length; s++)
        {
            if (statusCounts[s] > 0)
            {
                output.WriteLine($"  {(OpStatus)s}: {statusCounts[s]:N0}");
            }
        }
        Assert.True(sent >= Descriptors);
        // The mix must really reach both sides of the checks.
        Assert.True(statusCounts[(int)OpStatus.Ok] > 10_000);
        Assert.True(statusCounts[(int)OpStatus.BadDescriptor] > 10_000);
        Assert.True(statusCounts[(int)OpStatus.BadSession] > 1_000);
        Assert.True(statusCounts[(int)OpStatus.Unsupported] > 1_000);
    }

    private static uint Edge(Random r, uint limit) => r.Next(8) switch
    {
        0 => 0,
        1 => limit,
        2 => limit - 1,
        3 => limit + 1,
        4 => uint.MaxValue,
        5 => uint.MaxValue - (uint)r.Next(64),
        6 => (uint)r.NextInt64(0, 1L << 32),
        _ => (uint)r.NextInt64(0, (long)limit + 1),
    };

    private static SubmissionDescriptor RandomDescriptor(Random r, ulong tag, uint[] sessions)
    {
        var d = new SubmissionDescriptor { Tag = tag };
        var opRoll = r.Next(100);
        d.Op = opRoll switch
        {
            < 40 => OpCode.Forward,
            < 75 => OpCode.Inverse,
            < 85 => OpCode.Nop,
            < 87 => OpCode.OpenSession,
            < 88 => OpCode.CloseSession,
            _ => (OpCode)r.Next(5, 65536),
        };
        d.Flags = r.Next(20) == 0 ? (ushort)r.Next(1, 65536) : (ushort)0;
        d.Reserved = r.Next(20) == 0 ? (uint)r.Next() : 0;
        d.Session = r.Next(10) switch
        {
            < 6 => sessions[r.Next(sessions.Length)],
            6 => 0,
            7 => sessions[0] + 0x10000, // stale generation
            _ => (uint)r.NextInt64(0, 1L << 32),
        };
        var small = r.Next(4) != 0;
        d.InSlot = r.Next(4) == 0 ? Edge(r, SlotCount) : (uint)r.Next(SlotCount);
        d.InOffset = small ? (uint)r.Next(64) : Edge(r, SlotSize);
        d.InLength = small ? (uint)r.Next(0, 300) : Edge(r, SlotSize);
        d.OutSlot = r.Next(4) == 0 ? Edge(r, SlotCount) : (uint)r.Next(FirstCanarySlot);
        d.OutOffset = small ? (uint)r.Next(64) : Edge(r, SlotSize);
        d.OutCapacity = small ? (uint)r.Next(0, 400) : Edge(r, SlotSize);
        d.AadLength = r.Next(3) == 0 ? Edge(r, d.InLength) : 0;
        r.NextBytes(d.Param);
        if (d.OutSlot >= FirstCanarySlot && d.OutSlot < SlotCount)
        {
            // Keep canaries out of reach of valid descriptors (an out-of-range slot is fine: it must be refused).
            d.OutSlot = SlotCount + (uint)r.Next(1000);
        }
        return d;
    }

    private static bool InRange(uint slot, uint offset, uint length) => slot < SlotCount && (ulong)offset + length <= SlotSize;

    private static void CheckCompletion(in SubmissionDescriptor d, in CompletionEntry c)
    {
        Assert.True(Enum.IsDefined(c.Status), $"undefined status {(int)c.Status}");
        if (d.Op is OpCode.Forward or OpCode.Inverse)
        {
            var valid = d.Flags == 0 && d.Reserved == 0 && InRange(d.InSlot, d.InOffset, d.InLength) && InRange(d.OutSlot, d.OutOffset, d.OutCapacity) && d.AadLength <= d.InLength;
            if (!valid)
            {
                Assert.Equal(OpStatus.BadDescriptor, c.Status);
            }
            if (c.Status == OpStatus.Ok)
            {
                Assert.True(c.OutLength <= d.OutCapacity);
                if (d.Op == OpCode.Forward)
                {
                    Assert.Equal(d.InLength - d.AadLength + 16, c.OutLength);
                }
            }
            else
            {
                Assert.Equal(0u, c.OutLength);
            }
        }
        else if (d.Op is not (OpCode.Nop or OpCode.OpenSession or OpCode.CloseSession))
        {
            Assert.Equal(OpStatus.Unsupported, c.Status);
        }
        else if (d.Flags != 0 || d.Reserved != 0 || d.AadLength != 0)
        {
            Assert.Equal(OpStatus.BadDescriptor, c.Status);
        }
        else if (d.Op == OpCode.Nop)
        {
            Assert.Equal(OpStatus.Ok, c.Status);
        }
    }

    private static byte[] FillCanaries(GuestChannel guest)
    {
        for (var s = FirstCanarySlot; s < SlotCount; s++)
        {
            new Random(s).NextBytes(guest.Slot(s));
        }
        return guest.Slot(FirstCanarySlot).ToArray().Concat(AllCanaries(guest)).ToArray();
    }

    private static byte[] AllCanaries(GuestChannel guest)
    {
        var all = new List<byte>();
        for (var s = FirstCanarySlot; s < SlotCount; s++)
        {
            all.AddRange(guest.Slot(s).ToArray());
        }
        return all.ToArray();
    }

    /// <summary>Garbage over the header's size fields and the AC-owned indices: the AC must not believe any of it.</summary>
    private static void CorruptHeaderAndAcIndices(Random r, ChannelFile raw, GuestChannel guest)
    {
        var file = raw.AsSpan();
        var header = file[..ChannelLayout.SqTailOffset].ToArray();
        r.NextBytes(file[..ChannelLayout.StateOffset]);
        r.NextBytes(file[(ChannelLayout.StateOffset + 4)..ChannelLayout.SqTailOffset]);
        var acSqHead = BitConverter.ToUInt64(file[ChannelLayout.SqHeadOffset..]);
        var acCqTail = BitConverter.ToUInt64(file[ChannelLayout.CqTailOffset..]);
        BitConverter.TryWriteBytes(file[ChannelLayout.SqHeadOffset..], (ulong)r.NextInt64());
        BitConverter.TryWriteBytes(file[ChannelLayout.CqTailOffset..], (ulong)r.NextInt64());
        // One raw Nop, so the AC publishes its own indices again (the guest API would trust the garbage).
        var sqTail = BitConverter.ToUInt64(file[ChannelLayout.SqTailOffset..]);
        var sqOffset = (int)raw.Geometry.GetValueOrDefault(new ChannelGeometry(256, 256, SlotCount, SlotSize, 8)).SqOffset;
        var entry = new SubmissionDescriptor { Tag = 424242, Op = OpCode.Nop };
        System.Runtime.InteropServices.MemoryMarshal.Write(file[(sqOffset + (int)(sqTail % (ulong)guest.SqEntries) * ChannelLayout.SubmissionEntrySize)..], in entry);
        Volatile.Write(ref System.Runtime.InteropServices.MemoryMarshal.AsRef<ulong>(file[ChannelLayout.SqTailOffset..]), sqTail + 1);
        // The AC publishes the completion tail per op and the submission head per burst: wait for both.
        Until(() => BitConverter.ToUInt64(raw.AsSpan()[ChannelLayout.CqTailOffset..]) == acCqTail + 1
            && BitConverter.ToUInt64(raw.AsSpan()[ChannelLayout.SqHeadOffset..]) == acSqHead + 1, "the AC to republish its own indices");
        Assert.True(guest.TryPoll(out var nop));
        Assert.Equal(424242ul, nop.Tag);
        Assert.Equal(OpStatus.Ok, nop.Status);
        // Put the header back so the guest library can reopen the channel.
        header.AsSpan(0, ChannelLayout.StateOffset).CopyTo(raw.AsSpan());
        header.AsSpan(ChannelLayout.StateOffset + 4).CopyTo(raw.AsSpan()[(ChannelLayout.StateOffset + 4)..]);
    }

    /// <summary>Garbage in an index the guest owns and the AC must read: the submission tail or the completion head.</summary>
    private static void CorruptGuestIndex(Random r, ChannelFile raw, GuestChannel guest)
    {
        var file = raw.AsSpan();
        if (r.Next(2) == 0)
        {
            // A tail far ahead of the head: more entries than the ring holds.
            var tail = BitConverter.ToUInt64(file[ChannelLayout.SqTailOffset..]);
            BitConverter.TryWriteBytes(file[ChannelLayout.SqTailOffset..], tail + (ulong)guest.SqEntries + 1 + (ulong)r.NextInt64(0, long.MaxValue / 2));
        }
        else
        {
            // A completion head past the AC's tail, then some work so the AC looks at it.
            var cqTail = BitConverter.ToUInt64(file[ChannelLayout.CqTailOffset..]);
            BitConverter.TryWriteBytes(file[ChannelLayout.CqHeadOffset..], cqTail + 1 + (ulong)r.NextInt64(0, long.MaxValue / 2));
            Assert.True(guest.TrySubmit(new SubmissionDescriptor { Op = OpCode.Nop }));
        }
    }
}
