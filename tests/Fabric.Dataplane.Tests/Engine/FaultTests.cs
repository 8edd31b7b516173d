using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Engine;

public class FaultTests
{
    private static readonly byte[] Key = new byte[32];

    [Fact]
    public void A_throwing_driver_fails_only_its_op_and_the_worker_carries_on()
    {
        var faulty = new FaultInjectingDriver(new Sha256Driver());
        using var rig = new Rig(faulty);
        var g = rig.Guest;
        faulty.Arm(FaultKind.Throw, count: 3);
        var batch = Enumerable.Range(0, 10).Select(i => Data((ulong)i, OpCode.Forward, 0, 0, 100, 1, 32)).ToArray();
        Assert.Equal(10, g.SubmitBatch(batch));
        var statuses = new List<OpStatus>();
        for (var i = 0; i < 10; i++)
        {
            var c = Next(g);
            Assert.Equal((ulong)i, c.Tag);
            statuses.Add(c.Status);
        }
        Assert.Equal([.. Enumerable.Repeat(OpStatus.DriverFault, 3), .. Enumerable.Repeat(OpStatus.Ok, 7)], statuses);
        var stats = rig.Engine.GetStats("q")!;
        Assert.Equal(3, stats.DriverFaults);
        Assert.True(rig.Engine.Workers[0].Running);
    }

    [Fact]
    public void A_hung_driver_completes_its_op_as_deadline_exceeded_and_the_next_op_succeeds()
    {
        var faulty = new FaultInjectingDriver(new AesGcmDriver(), hangBeyondDeadline: TimeSpan.FromMilliseconds(5));
        using var rig = new Rig(faulty, queue: new QueueOptions { OpDeadline = TimeSpan.FromMilliseconds(20) });
        var g = rig.Guest;
        var s = g.OpenSession(Key, 0, Patience);
        faulty.Arm(FaultKind.Hang);
        var hung = g.SubmitAndWait(Data(1, OpCode.Forward, s, 1, 64, 2, 128), Patience);
        Assert.Equal(OpStatus.DeadlineExceeded, hung.Status);
        Assert.Equal(0u, hung.OutLength);
        Assert.True(hung.ServiceNanos >= 20_000_000);
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(2, OpCode.Forward, s, 1, 64, 2, 128), Patience).Status);
        Assert.Equal(1, rig.Engine.GetStats("q")!.DeadlinesExceeded);
    }

    [Fact]
    public void A_hung_pipeline_stage_is_caught_at_the_stage_boundary()
    {
        var hangingDeflate = new FaultInjectingDriver(new DeflateDriver());
        var pipeline = new Pipeline.PipelineDriver([hangingDeflate, new AesGcmDriver(), new Sha256Driver()]);
        using var rig = new Rig(pipeline, queue: new QueueOptions { OpDeadline = TimeSpan.FromMilliseconds(20) });
        var g = rig.Guest;
        var s = g.OpenSession(Key, 0, Patience);
        hangingDeflate.Arm(FaultKind.Hang);
        Assert.Equal(OpStatus.DeadlineExceeded, g.SubmitAndWait(Data(1, OpCode.Forward, s, 1, 4096, 2, 8192), Patience).Status);
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(2, OpCode.Forward, s, 1, 4096, 2, 8192), Patience).Status);
    }

    [Fact]
    public void Corrupted_output_is_caught_by_the_inverse_pipeline()
    {
        var corruptingAes = new FaultInjectingDriver(new AesGcmDriver());
        var pipeline = new Pipeline.PipelineDriver([new DeflateDriver(), corruptingAes, new Sha256Driver()]);
        using var rig = new Rig(pipeline);
        var g = rig.Guest;
        var s = g.OpenSession(Key, 0, Patience);
        new Random(5).NextBytes(g.Slot(1)[..4096]);

        var good = g.SubmitAndWait(Data(1, OpCode.Forward, s, 1, 4096, 2, 8192), Patience);
        Assert.Equal(OpStatus.Ok, good.Status);
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(2, OpCode.Inverse, s, 2, (int)good.OutLength, 3, 8192), Patience).Status);
        Assert.Equal(g.Slot(1)[..4096].ToArray(), g.Slot(3)[..4096].ToArray());

        corruptingAes.Arm(FaultKind.Corrupt);
        var bad = g.SubmitAndWait(Data(3, OpCode.Forward, s, 1, 4096, 2, 8192), Patience);
        Assert.Equal(OpStatus.Ok, bad.Status); // silent corruption: the driver claims success
        // The digest was taken over the corrupted ciphertext, so it verifies; the AEAD tag does not.
        Assert.Equal(OpStatus.AuthFailed, g.SubmitAndWait(Data(4, OpCode.Inverse, s, 2, (int)bad.OutLength, 3, 8192), Patience).Status);
        Assert.Equal(1, corruptingAes.Injected);
    }

    [Fact]
    public void Under_a_storm_of_faults_every_submitted_op_gets_exactly_one_completion()
    {
        var faulty = new FaultInjectingDriver(new Crc32CDriver(), hangBeyondDeadline: TimeSpan.FromMilliseconds(1));
        using var rig = new Rig(faulty, new ChannelGeometry(32, 32, 4, 4096), queue: new QueueOptions { OpDeadline = TimeSpan.FromMilliseconds(2) });
        var g = rig.Guest;
        var random = new Random(11);
        var seen = new bool[3000];
        var completions = new CompletionEntry[32];
        var batch = new SubmissionDescriptor[8];
        ulong next = 0;
        var reaped = 0;
        while (reaped < seen.Length)
        {
            if (random.Next(10) == 0)
            {
                faulty.Arm((FaultKind)random.Next(1, 4), random.Next(1, 4));
            }
            var want = (int)Math.Min(8ul, (ulong)seen.Length - next);
            for (var i = 0; i < want; i++)
            {
                batch[i] = Data(next + (ulong)i, OpCode.Forward, 0, 0, 50, 1, 4);
            }
            next += (ulong)g.SubmitBatch(batch.AsSpan(0, want));
            var n = g.Wait(completions, Patience);
            Assert.True(n > 0, "the worker stopped answering");
            for (var i = 0; i < n; i++)
            {
                Assert.False(seen[completions[i].Tag], $"tag {completions[i].Tag} completed twice");
                seen[completions[i].Tag] = true;
                Assert.Contains(completions[i].Status, new[] { OpStatus.Ok, OpStatus.DriverFault, OpStatus.DeadlineExceeded });
            }
            reaped += n;
        }
        Assert.All(seen, Assert.True);
        var stats = rig.Engine.GetStats("q")!;
        Assert.Equal(seen.Length, stats.Ops);
        Assert.True(stats.DriverFaults > 0 && stats.DeadlinesExceeded > 0);
    }

    [Fact]
    public async Task Ops_left_when_the_drain_time_runs_out_are_answered_QueueClosing_not_dropped()
    {
        var faulty = new FaultInjectingDriver(new Sha256Driver(), hangBeyondDeadline: TimeSpan.FromMilliseconds(10));
        var engine = new AccelerationEngine(QuickOptions() with { Burst = 1 });
        await using var _ = engine;
        var path = NewChannelPath();
        await engine.AddQueue("q", ChannelFile.Create(path, new ChannelGeometry(8, 8, 2, 4096)), faulty, options: new QueueOptions { OpDeadline = TimeSpan.FromMilliseconds(30) });
        using var g = Fabric.Dataplane.Guest.GuestChannel.Open(path);
        faulty.Arm(FaultKind.Hang, count: -1);
        Assert.Equal(5, g.SubmitBatch(Enumerable.Range(0, 5).Select(i => Data((ulong)i, OpCode.Forward, 0, 0, 10, 1, 32)).ToArray()));

        var removal = await engine.RemoveQueueAsync("q", TimeSpan.FromMilliseconds(5));

        Assert.Equal(0, removal.LeftUnserved);
        var statuses = new List<OpStatus>();
        while (g.TryPoll(out var c))
        {
            Assert.Equal((ulong)statuses.Count, c.Tag);
            statuses.Add(c.Status);
        }
        Assert.Equal(5, statuses.Count);
        Assert.Equal(OpStatus.DeadlineExceeded, statuses[0]);
        Assert.Equal(OpStatus.QueueClosing, statuses[^1]);
        Assert.All(statuses, s => Assert.True(s is OpStatus.DeadlineExceeded or OpStatus.QueueClosing));
    }

    [Fact]
    public async Task A_channel_that_faults_while_draining_still_gets_removed()
    {
        var faulty = new FaultInjectingDriver(new Sha256Driver(), hangBeyondDeadline: TimeSpan.FromMilliseconds(20));
        var engine = new AccelerationEngine(QuickOptions() with { Burst = 1 });
        await using var _ = engine;
        var path = NewChannelPath();
        await engine.AddQueue("q", ChannelFile.Create(path, new ChannelGeometry(8, 8, 2, 4096)), faulty, options: new QueueOptions { OpDeadline = TimeSpan.FromMilliseconds(20) });
        using var g = Fabric.Dataplane.Guest.GuestChannel.Open(path);
        faulty.Arm(FaultKind.Hang, count: -1);
        Assert.Equal(3, g.SubmitBatch(Enumerable.Range(0, 3).Select(i => Data((ulong)i, OpCode.Forward, 0, 0, 10, 1, 32)).ToArray()));
        Until(() => faulty.Injected > 0, "the first op to start");

        var removing = engine.RemoveQueueAsync("q", TimeSpan.FromSeconds(30));
        Until(() => g.State == ChannelState.Draining, "the drain to begin");
        using (var raw = ChannelFile.OpenExisting(path))
        {
            // The guest scribbles over its submission tail mid-drain.
            BitConverter.TryWriteBytes(raw.AsSpan()[ChannelLayout.SqTailOffset..], 1_000_000UL);
        }

        var removal = await removing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(removal.FaultReason);
        Assert.Equal(-1, removal.LeftUnserved);
    }

    [Fact]
    public async Task A_faulted_queue_is_reported_once_with_its_id_and_reason_and_counted()
    {
        var reports = new System.Collections.Concurrent.ConcurrentQueue<(string Id, string Reason)>();
        var engine = new AccelerationEngine(QuickOptions() with { QueueFaulted = (id, reason) => reports.Enqueue((id, reason)) });
        await using var _ = engine;
        var channel = ChannelFile.CreateSealed("faulty", new ChannelGeometry(64, 64, 4, 4096));
        var healthy = ChannelFile.CreateSealed("healthy", new ChannelGeometry(64, 64, 4, 4096));
        await engine.AddQueue("vm-faulty", channel, new Sha256Driver());
        await engine.AddQueue("vm-healthy", healthy, new Sha256Driver());
        Assert.False(engine.GetCounters("vm-faulty")!.Faulted);

        // The guest's submission tail jumps far past the ring: the AC must stop serving, and say so.
        channel.WriteU64(ChannelLayout.SqTailOffset, 1_000_000);
        Until(() => !reports.IsEmpty, "the fault report");
        var (faultedId, reason) = Assert.Single(reports);
        Assert.Equal("vm-faulty", faultedId);
        Assert.Contains("submission tail 1000000", reason);
        Assert.True(engine.GetCounters("vm-faulty")!.Faulted);
        var stats = engine.GetStats("vm-faulty")!;
        Assert.Equal(ChannelState.Faulted, stats.State);
        Assert.Equal(reason, stats.FaultReason);
        Assert.Equal(ChannelState.Faulted, channel.State);
        Assert.False(engine.GetCounters("vm-healthy")!.Faulted);
        Assert.Equal(ChannelState.Active, engine.GetStats("vm-healthy")!.State);
    }
}
