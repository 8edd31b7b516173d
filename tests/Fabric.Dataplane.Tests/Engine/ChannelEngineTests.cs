using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Guest;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Engine;

public class ChannelEngineTests
{
    private static readonly byte[] Key = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Nonce = Convert.FromHexString("cafebabefacedbaddecaf888");

    [Fact]
    public void A_guest_seal_through_the_channel_equals_AesGcm_called_directly()
    {
        using var rig = new Rig(new AesGcmDriver());
        var g = rig.Guest;
        var session = g.OpenSession(Key, slot: 0, Patience);
        Assert.True(g.Slot(0)[..32].ToArray().All(b => b == 0), "OpenSession must wipe the key from the slot");

        var plaintext = RandomNumberGenerator.GetBytes(1000);
        plaintext.CopyTo(g.Slot(1));
        var c = g.SubmitAndWait(Data(7, OpCode.Forward, session, 1, plaintext.Length, 2, g.SlotSize, nonce: Nonce), Patience);
        Assert.Equal(OpStatus.Ok, c.Status);
        Assert.Equal(7ul, c.Tag);
        Assert.Equal((uint)plaintext.Length + 16, c.OutLength);

        var expected = new byte[plaintext.Length + 16];
        using (var aes = new AesGcm(Key, 16))
        {
            aes.Encrypt(Nonce, plaintext, expected.AsSpan(0, plaintext.Length), expected.AsSpan(plaintext.Length));
        }
        Assert.Equal(expected, g.Slot(2)[..(int)c.OutLength].ToArray());

        // And back through the channel.
        var back = g.SubmitAndWait(Data(8, OpCode.Inverse, session, 2, (int)c.OutLength, 3, g.SlotSize, nonce: Nonce), Patience);
        Assert.Equal(OpStatus.Ok, back.Status);
        Assert.Equal(plaintext, g.Slot(3)[..(int)back.OutLength].ToArray());
    }

    [Fact]
    public void Tags_come_back_in_order_across_many_ring_wrap_arounds_with_bursts_of_every_size()
    {
        // 4-entry rings: 1000 ops wrap both rings 250 times, bursts of 1..7 are cut by the ring size.
        using var rig = new Rig(new Crc32CDriver(), new ChannelGeometry(4, 4, 4, 4096));
        var g = rig.Guest;
        "123456789"u8.CopyTo(g.Slot(0));
        var batch = new SubmissionDescriptor[7];
        var completions = new CompletionEntry[8];
        ulong nextTag = 0, expectTag = 0;
        var random = new Random(3);
        while (expectTag < 1000)
        {
            var want = (int)Math.Min((ulong)random.Next(1, 8), 1000 - nextTag);
            for (var i = 0; i < want; i++)
            {
                batch[i] = Data(nextTag + (ulong)i, OpCode.Forward, 0, 0, 9, 1 + (int)((nextTag + (ulong)i) % 3), 4);
            }
            var posted = g.SubmitBatch(batch.AsSpan(0, want));
            Assert.InRange(posted, 0, 4);
            nextTag += (ulong)posted;
            var n = g.Wait(completions, Patience);
            Assert.True(n > 0);
            for (var i = 0; i < n; i++)
            {
                Assert.Equal(expectTag++, completions[i].Tag);
                Assert.Equal(OpStatus.Ok, completions[i].Status);
                Assert.Equal(4u, completions[i].OutLength);
            }
        }
        Assert.Equal(0xE3069283u, BitConverter.ToUInt32(g.Slot(1)));
        Assert.Equal(1000, rig.Engine.GetStats("q")!.Ops);
    }

    [Fact]
    public void A_full_completion_ring_holds_submissions_back_instead_of_dropping_them()
    {
        using var rig = new Rig(new Sha256Driver(), new ChannelGeometry(16, 4, 4, 4096));
        var g = rig.Guest;
        var batch = new SubmissionDescriptor[16];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = new SubmissionDescriptor { Tag = (ulong)i, Op = OpCode.Nop };
        }
        Assert.Equal(16, g.SubmitBatch(batch));

        // The AC answers 4 (all the completion ring holds) and leaves 12 waiting.
        Until(() => rig.Engine.GetCounters("q")!.CqFullStalls > 0, "the AC to find the completion ring full");
        Assert.Equal(12, g.PendingSubmissions);
        Assert.Equal(4, rig.Engine.GetStats("q")!.Ops);

        var seen = new List<ulong>();
        var buffer = new CompletionEntry[3];
        while (seen.Count < 16)
        {
            var n = g.Wait(buffer, Patience);
            Assert.True(n > 0);
            seen.AddRange(buffer[..n].Select(c => c.Tag));
        }
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (ulong)i), seen);
    }

    [Fact]
    public void A_burst_posts_only_what_fits_in_the_submission_ring()
    {
        // No AC on this channel: nothing is consumed, so the ring's capacity is all there is.
        var path = NewChannelPath();
        using var file = ChannelFile.Create(path, new ChannelGeometry(8, 8, 1, 64));
        try
        {
            using var g = GuestChannel.Open(path);
            var batch = Enumerable.Range(0, 5).Select(i => new SubmissionDescriptor { Tag = (ulong)i }).ToArray();
            Assert.Equal(5, g.SubmitBatch(batch));
            Assert.Equal(3, g.SubmitBatch(batch));
            Assert.Equal(0, g.SubmitBatch(batch));
            Assert.False(g.TrySubmit(batch[0]));
            Assert.Equal(8, g.PendingSubmissions);
            Assert.Equal(0, g.FreeSubmissionEntries);
            Assert.False(g.TryPoll(out _));
        }
        finally
        {
            file.DisposeAndDelete();
        }
    }

    [Fact]
    public void Sessions_are_checked_closed_and_not_reusable_after_close()
    {
        using var rig = new Rig(new AesGcmDriver());
        var g = rig.Guest;
        Assert.Equal(OpStatus.BadSession, g.SubmitAndWait(Data(1, OpCode.Forward, 0, 1, 10, 2, 100), Patience).Status);
        Assert.Equal(OpStatus.BadSession, g.SubmitAndWait(Data(1, OpCode.Forward, 0x10001, 1, 10, 2, 100), Patience).Status);

        // AES-GCM takes 16-, 24- and 32-byte keys; a 20-byte key is refused.
        Assert.Throws<InvalidOperationException>(() => g.OpenSession(new byte[20], 0, Patience));

        var s = g.OpenSession(Key, 0, Patience);
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(2, OpCode.Forward, s, 1, 10, 2, 100), Patience).Status);
        Assert.Equal(OpStatus.Ok, g.CloseSession(s, Patience));
        Assert.Equal(OpStatus.BadSession, g.SubmitAndWait(Data(3, OpCode.Forward, s, 1, 10, 2, 100), Patience).Status);
        Assert.Equal(OpStatus.BadSession, g.CloseSession(s, Patience));

        // The index is reused with a new generation: the old id stays dead.
        var s2 = g.OpenSession(Key, 0, Patience);
        Assert.NotEqual(s, s2);
        Assert.Equal(OpStatus.BadSession, g.SubmitAndWait(Data(4, OpCode.Forward, s, 1, 10, 2, 100), Patience).Status);
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(5, OpCode.Forward, s2, 1, 10, 2, 100), Patience).Status);
    }

    [Fact]
    public async Task Workers_pin_where_allowed_and_report_instead_of_crashing_where_not()
    {
        var allowed = FirstAllowedCpu();
        var options = QuickOptions(workers: 2) with { Cores = [allowed, 4000] };
        using var engine = new AccelerationEngine(options);
        await engine.Started.WaitAsync(Patience);
        var workers = engine.Workers;
        Assert.True(workers[0].Pinned, workers[0].PinMessage);
        Assert.Equal($"pinned to core {allowed}", workers[0].PinMessage);
        Assert.False(workers[1].Pinned);
        Assert.Contains("not pinned", workers[1].PinMessage);

        // The unpinned worker still serves its queue.
        var path = NewChannelPath();
        await engine.AddQueue("q", ChannelFile.Create(path, new ChannelGeometry(8, 8, 2, 4096)), new Sha256Driver(), worker: 1).WaitAsync(Patience);
        using var guest = GuestChannel.Open(path);
        Assert.Equal(OpStatus.Ok, guest.SubmitAndWait(new SubmissionDescriptor { Op = OpCode.Nop }, Patience).Status);
        Assert.Equal(1, engine.GetStats("q")!.Worker);
        guest.Dispose();
        await engine.RemoveQueueAsync("q", TimeSpan.FromSeconds(1));
    }

    /// <summary>The first CPU this process may run on (a container's cpuset need not include CPU 0).</summary>
    private static int FirstAllowedCpu()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        var first = line["Cpus_allowed_list:".Length..].Trim().Split(',', '-')[0];
        return int.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Workers_take_the_configured_nice_value()
    {
        using var engine = new AccelerationEngine(QuickOptions() with { Nice = 5 });
        await engine.Started.WaitAsync(Patience);
        Assert.EndsWith(", nice 5", engine.Workers[0].PinMessage);
        // Field 19 of /proc/<pid>/task/<tid>/stat is the nice value; find the worker by its name. Threads of other
        // tests come and go meanwhile: one listed may be gone when its files are read.
        var nice = Directory.GetDirectories("/proc/self/task")
            .Where(t => ReadIfAlive(Path.Combine(t, "comm"))?.Trim() == "fabric-ac-0")
            .Select(t => File.ReadAllText(Path.Combine(t, "stat")))
            .Select(stat => stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16])
            .Single();
        Assert.Equal("5", nice);
    }

    private static string? ReadIfAlive(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }

    [Fact]
    public void Counters_count_ops_bytes_errors_and_latency_while_the_worker_runs()
    {
        using var rig = new Rig(new Sha256Driver());
        var g = rig.Guest;
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data((ulong)i, OpCode.Forward, 0, 0, 1000, 1, 32), Patience).Status);
        }
        Assert.Equal(OpStatus.BadDescriptor, g.SubmitAndWait(Data(99, OpCode.Forward, 0, 99, 1000, 1, 32), Patience).Status);
        Assert.Equal(OpStatus.Unsupported, g.SubmitAndWait(new SubmissionDescriptor { Op = (OpCode)77 }, Patience).Status);
        var stats = rig.Engine.GetStats("q")!;
        Assert.Equal(52, stats.Ops);
        Assert.Equal(50 * 1000, stats.BytesIn);
        Assert.Equal(50 * 32, stats.BytesOut);
        Assert.Equal(2, stats.Errors);
        Assert.Equal(1, stats.BadDescriptors);
        Assert.Equal("sha256", stats.Function);
        Assert.Equal(ChannelState.Active, stats.State);
        Assert.InRange(stats.LatencyP50Nanos, 1, 10_000_000);
        Assert.True(stats.LatencyP99Nanos >= stats.LatencyP50Nanos);
    }

    [Fact]
    public async Task Removing_a_queue_completes_everything_already_posted_then_closes_and_deletes_the_channel()
    {
        var engine = new AccelerationEngine(QuickOptions());
        await using var _ = engine;
        var path = NewChannelPath();
        await engine.AddQueue("q", ChannelFile.Create(path, new ChannelGeometry(256, 256, 4, 64 * 1024)), new AesGcmDriver());
        using var g = GuestChannel.Open(path);
        var s = g.OpenSession(Key, 0, Patience);
        var batch = Enumerable.Range(0, 200).Select(i => Data((ulong)i, OpCode.Forward, s, 1, 16 * 1024, 2, 32 * 1024, nonce: Nonce)).ToArray();
        Assert.Equal(200, g.SubmitBatch(batch));

        // A retried remove (as an actor might send) shares the first one's outcome.
        var first = engine.RemoveQueueAsync("q", TimeSpan.FromSeconds(10));
        var retried = engine.RemoveQueueAsync("q", TimeSpan.FromSeconds(10));
        var removal = await first;
        Assert.Same(removal, await retried);

        Assert.Equal(0, removal.LeftUnserved);
        var tags = new List<ulong>();
        while (g.TryPoll(out var c))
        {
            Assert.Equal(OpStatus.Ok, c.Status);
            tags.Add(c.Tag);
        }
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (ulong)i), tags);
        Assert.Equal(ChannelState.Closed, g.State);
        Assert.False(File.Exists(path));
        Assert.Null(engine.GetStats("q"));
        // A guest waiting on a closed channel is told at once, not left to time out.
        Assert.False(g.Wait(out CompletionEntry _, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Swapping_the_driver_keeps_the_guest_sessions_working()
    {
        using var rig = new Rig(new AesGcmDriver());
        var g = rig.Guest;
        var s = g.OpenSession(Key, 0, Patience);
        "attack at dawn"u8.CopyTo(g.Slot(1));
        var before = g.SubmitAndWait(Data(1, OpCode.Forward, s, 1, 14, 2, 64, nonce: Nonce), Patience);
        var sealedBefore = g.Slot(2)[..(int)before.OutLength].ToArray();

        var replacement = new FaultInjectingDriver(new AesGcmDriver());
        var old = await rig.Engine.SwapDriverAsync("q", replacement);
        Assert.IsType<AesGcmDriver>(old);
        old.Dispose();

        var after = g.SubmitAndWait(Data(2, OpCode.Forward, s, 1, 14, 3, 64, nonce: Nonce), Patience);
        Assert.Equal(OpStatus.Ok, after.Status);
        Assert.Equal(sealedBefore, g.Slot(3)[..(int)after.OutLength].ToArray());
        Assert.Equal(1u, rig.Engine.GetStats("q")!.DriverGeneration);
    }

    [Fact]
    public async Task Stopping_the_engine_marks_its_channels_closed()
    {
        var rig = new Rig(new Sha256Driver());
        try
        {
            await rig.Engine.StopAsync();
            Assert.Equal(ChannelState.Closed, rig.Guest.State);
            using var other = ChannelFile.Create(NewChannelPath(), new ChannelGeometry(2, 2, 1, 64));
            Assert.Throws<ObjectDisposedException>(() => { _ = rig.Engine.AddQueue("other", other, new Sha256Driver()); });
            other.DisposeAndDelete();
        }
        finally
        {
            rig.Dispose();
        }
    }
}
