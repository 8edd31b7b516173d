using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Guest;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Engine;

/// <summary>The asynchronous g-driver contract: bursts in, completions out of order, answers in order, deadlines.</summary>
public class AsyncDriverTests
{
    [Fact]
    public void Completions_reach_the_guest_in_submission_order_when_the_device_finishes_them_out_of_order()
    {
        var device = new ReorderingDriver(hold: 5, perSubmit: 3);
        using var rig = new Rig(device, new ChannelGeometry(64, 64, 16, 4096));
        var g = rig.Guest;
        var batch = new SubmissionDescriptor[13];
        var completions = new CompletionEntry[16];
        ulong tag = 0;
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                var slot = i % 8;
                g.Slot(slot)[0] = (byte)(tag + (ulong)i);
                batch[i] = Data(tag + (ulong)i, OpCode.Forward, 0, slot, 64, 8 + slot, 64);
            }
            Assert.Equal(batch.Length, g.SubmitBatch(batch));
            var got = 0;
            while (got < batch.Length)
            {
                var n = g.Wait(completions.AsSpan(0, batch.Length - got), Patience);
                Assert.True(n > 0, "no completion within the timeout");
                for (var i = 0; i < n; i++)
                {
                    var c = completions[i];
                    Assert.Equal(tag + (ulong)got, c.Tag);
                    Assert.Equal(OpStatus.Ok, c.Status);
                    Assert.Equal(64u, c.OutLength);
                    got++;
                }
            }
            // Each op's copy landed in its own output slot (the last writer of each slot is the latest op).
            for (var i = batch.Length - 8; i < batch.Length; i++)
            {
                Assert.Equal((byte)(tag + (ulong)i), g.Slot(8 + i % 8)[0]);
            }
            tag += (ulong)batch.Length;
        }
        Assert.True(device.OutOfOrder > 100, $"the device reordered only {device.OutOfOrder} completions");
        var stats = rig.Engine.GetStats("q")!;
        Assert.Equal(260, stats.Ops);
        Assert.Equal(0, stats.Errors);
    }

    [Fact]
    public async Task A_device_that_never_completes_gets_DeadlineExceeded_answers_and_the_worker_keeps_serving_other_queues()
    {
        var deadline = TimeSpan.FromSeconds(2);
        using var engine = new AccelerationEngine(QuickOptions() with { Queue = new QueueOptions { OpDeadline = deadline } });
        var hungPath = NewChannelPath();
        var livePath = NewChannelPath();
        var hung = new BlackHoleDriver();
        try
        {
            await engine.AddQueue("hung", ChannelFile.Create(hungPath, new ChannelGeometry(16, 16, 4, 4096)), hung, worker: 0).WaitAsync(Patience);
            await engine.AddQueue("live", ChannelFile.Create(livePath, new ChannelGeometry(16, 16, 4, 4096)), new Crc32CDriver(), worker: 0).WaitAsync(Patience);
            using var h = GuestChannel.Open(hungPath);
            using var l = GuestChannel.Open(livePath);
            "123456789"u8.CopyTo(h.Slot(0));
            "123456789"u8.CopyTo(l.Slot(0));

            var posted = Stopwatch.StartNew();
            for (ulong t = 0; t < 4; t++)
            {
                Assert.True(h.TrySubmit(Data(t, OpCode.Forward, 0, 0, 9, 1, 4)));
            }
            Until(() => hung.Submitted == 4, "the hung device to take the ops");
            // The same worker serves the other queue meanwhile: many round trips before the hung ops' deadline.
            for (var served = 0; served < 200; served++)
            {
                var c = l.SubmitAndWait(Data((ulong)served, OpCode.Forward, 0, 0, 9, 1, 4), Patience);
                Assert.Equal(OpStatus.Ok, c.Status);
                Assert.Equal((ulong)served, c.Tag);
            }
            // (Checked only while the deadline has not passed: a loaded machine may take that long for the 200.)
            var elapsed = posted.Elapsed;
            Assert.True(elapsed >= deadline || !h.TryPoll(out _), "an answer on the hung queue before the deadline");

            for (ulong t = 0; t < 4; t++)
            {
                var c = Next(h);
                Assert.Equal(t, c.Tag);
                Assert.Equal(OpStatus.DeadlineExceeded, c.Status);
                Assert.Equal(0u, c.OutLength);
            }
            Assert.True(posted.Elapsed >= deadline, "answered before the deadline");
            Until(() => hung.Abandoned == 4, "the AC to tell the device it gave up on the ops");
            // What the device's g-driver actor watches: the queue's DeadlineExceeded count.
            Assert.Equal(4, engine.GetStats("hung")!.DeadlinesExceeded);
            Assert.Equal(ChannelState.Active, h.State);
            Assert.Equal(OpStatus.Ok, l.SubmitAndWait(Data(99, OpCode.Forward, 0, 0, 9, 1, 4), Patience).Status);
        }
        finally
        {
            engine.Dispose();
            File.Delete(hungPath);
            File.Delete(livePath);
        }
    }

    [Fact]
    public async Task Ops_a_hung_device_holds_are_redone_on_the_driver_swapped_in_and_the_guest_sees_them_succeed()
    {
        var hung = new BlackHoleDriver();
        using var rig = new Rig(hung, new ChannelGeometry(16, 16, 8, 4096), queue: new QueueOptions { OpDeadline = TimeSpan.FromSeconds(30) });
        var g = rig.Guest;
        "123456789"u8.CopyTo(g.Slot(0));
        for (ulong t = 0; t < 5; t++)
        {
            Assert.True(g.TrySubmit(Data(t, OpCode.Forward, 0, 0, 9, 1 + (int)t, 4)));
        }
        Until(() => hung.Submitted == 5, "the hung device to take the ops");
        var previous = await rig.Engine.SwapDriverAsync("q", new Crc32CDriver()).WaitAsync(Patience);
        Assert.Same(hung, previous);
        for (ulong t = 0; t < 5; t++)
        {
            var c = Next(g);
            Assert.Equal(t, c.Tag);
            Assert.Equal(OpStatus.Ok, c.Status);
            Assert.Equal(0xE3069283u, BitConverter.ToUInt32(g.Slot(1 + (int)t)));
        }
        Assert.Equal(5, hung.Abandoned);
    }

    [Fact]
    public void CloseSession_waits_for_the_data_ops_before_it_and_a_synchronous_driver_runs_through_the_adapter_as_before()
    {
        var key = new byte[32];
        using var rig = new Rig(new AesGcmDriver());
        var g = rig.Guest;
        var session = g.OpenSession(key, 0, Patience);
        var nonce = new byte[12];
        var batch = new SubmissionDescriptor[6];
        for (var i = 0; i < 5; i++)
        {
            batch[i] = Data((ulong)i, OpCode.Forward, session, 1, 100, 2 + i, 200, nonce: nonce);
        }
        batch[5] = new SubmissionDescriptor { Tag = 5, Op = OpCode.CloseSession, Session = session };
        Assert.Equal(6, g.SubmitBatch(batch));
        for (ulong t = 0; t < 5; t++)
        {
            var c = Next(g);
            Assert.Equal(t, c.Tag);
            Assert.Equal(OpStatus.Ok, c.Status);
            Assert.Equal(116u, c.OutLength);
        }
        var close = Next(g);
        Assert.Equal(5ul, close.Tag);
        Assert.Equal(OpStatus.Ok, close.Status);
        Assert.Equal(OpStatus.BadSession, g.SubmitAndWait(Data(6, OpCode.Forward, session, 1, 100, 2, 200, nonce: nonce), Patience).Status);
    }

    [Fact]
    public void A_device_that_throws_lies_about_tokens_and_overstates_its_output_costs_each_op_one_answer_and_nothing_more()
    {
        using var rig = new Rig(new BrokenAsyncDriver(), new ChannelGeometry(64, 64, 4, 4096));
        var g = rig.Guest;
        var batch = new SubmissionDescriptor[16];
        var completions = new CompletionEntry[16];
        var byStatus = new Dictionary<OpStatus, int>();
        ulong expect = 0;
        for (var round = 0; round < 30; round++)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = Data(expect + (ulong)i, OpCode.Forward, 0, 0, 9, 1 + i % 3, 4);
            }
            Assert.Equal(batch.Length, g.SubmitBatch(batch));
            var got = 0;
            while (got < batch.Length)
            {
                var n = g.Wait(completions.AsSpan(0, batch.Length - got), Patience);
                Assert.True(n > 0, "an op was left unanswered");
                for (var i = 0; i < n; i++, got++)
                {
                    Assert.Equal(expect + (ulong)got, completions[i].Tag);
                    var s = completions[i].Status;
                    Assert.True(s is OpStatus.Ok or OpStatus.DriverFault, $"status {s}");
                    Assert.True(s == OpStatus.Ok ? completions[i].OutLength == 4 : completions[i].OutLength == 0);
                    byStatus[s] = byStatus.GetValueOrDefault(s) + 1;
                }
            }
            expect += (ulong)batch.Length;
        }
        Assert.False(g.TryPoll(out _), "a completion nobody asked for (a made-up token) reached the guest");
        Assert.True(byStatus.GetValueOrDefault(OpStatus.Ok) > 0 && byStatus.GetValueOrDefault(OpStatus.DriverFault) > 0,
            $"ok {byStatus.GetValueOrDefault(OpStatus.Ok)}, faults {byStatus.GetValueOrDefault(OpStatus.DriverFault)}");
        Assert.Equal(480, rig.Engine.GetStats("q")!.Ops);
        Assert.Equal(ChannelState.Active, g.State);
    }
}
