using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Engine.Scheduling;
using Fabric.Dataplane.Guest;
using Xunit.Abstractions;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Engine.Scheduling;

/// <summary>
/// A latency queue next to a bulk queue of large deflate ops on one real AC worker: the bulk op is compressed in slices,
/// one per visit, and the latency queue's ops run between them instead of waiting a whole op (about a millisecond).
/// What each latency op saw is recorded on the worker thread itself (the deflate driver's progress when the op ran), so
/// the proof counts visits, not time.
/// </summary>
public class SlicedBulkOpTests(ITestOutputHelper output)
{
    private const int HogOp = 64 * 1024;
    private const int Slice = 1024;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_latency_queue_is_served_between_the_slices_of_a_bulk_deflate_op(bool serviceLevels)
    {
        using var engine = new AccelerationEngine(QuickOptions());
        var hogDriver = new DeflateDriver(sliceBytes: Slice);
        var probe = new ProbeDriver(hogDriver);
        var paths = new List<string> { NewChannelPath(), NewChannelPath() };
        using var stop = new CancellationTokenSource();
        Thread? flood = null;
        GuestChannel? hog = null, victim = null;
        try
        {
            await engine.AddQueue("hog", ChannelFile.Create(paths[0], new ChannelGeometry(64, 64, 4, HogOp + 4096)), hogDriver, worker: 0).WaitAsync(Patience);
            await engine.AddQueue("victim", ChannelFile.Create(paths[1], new ChannelGeometry(8, 8, 2, 4096)), probe, worker: 0).WaitAsync(Patience);
            if (serviceLevels)
            {
                await engine.SetServiceLevel("victim", QueueServiceLevel.BestEffort with { Class = QueueClass.Latency }).WaitAsync(Patience);
                await engine.SetServiceLevel("hog", QueueServiceLevel.BestEffort with { Weight = 2 }).WaitAsync(Patience);
            }
            hog = GuestChannel.Open(paths[0]);
            victim = GuestChannel.Open(paths[1]);
            // Incompressible input: the slowest deflate, over a millisecond an op.
            new Random(1).NextBytes(hog.Slot(0)[..HogOp]);
            var hogGuest = hog;
            var hogFailures = 0;
            flood = new Thread(() => hogFailures = Flood(hogGuest, stop.Token)) { IsBackground = true, Name = "flood-deflate" };
            flood.Start();
            Until(() => engine.GetCounters("hog")!.Ops >= 2, "the hog's first ops to be compressed");

            const int victimOps = 40;
            for (var i = 0; i < victimOps; i++)
            {
                Assert.True(victim.TrySubmit(Data((ulong)i, OpCode.Forward, 0, 0, 64, 1, 64)));
                var c = Next(victim);
                Assert.Equal(OpStatus.Ok, c.Status);
            }
            var midOp = probe.MidOp;
            output.WriteLine($"{midOp} of {victimOps} victim ops ran while a hog op was part-way through; hog slices {hogDriver.Slices}, hog ops {engine.GetCounters("hog")!.Ops}");
            // Without slicing a hog op is never part-way through when the victim's op runs: it runs whole inside one visit.
            Assert.True(midOp >= victimOps / 2, $"only {midOp} of {victimOps} victim ops ran between the slices of a hog op");
            stop.Cancel();
            flood.Join(Patience);
            Assert.Equal(0, hogFailures);
        }
        finally
        {
            stop.Cancel();
            flood?.Join(Patience);
            hog?.Dispose();
            victim?.Dispose();
            engine.Dispose();
            paths.ForEach(File.Delete);
        }
    }

    /// <summary>Keeps the hog's ring full of 64 KiB compressions; returns how many failed.</summary>
    private static int Flood(GuestChannel g, CancellationToken stop)
    {
        var batch = new SubmissionDescriptor[8];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = Data((ulong)i, OpCode.Forward, 0, 0, HogOp, 1 + (i % 3), HogOp + 4096);
        }
        var completions = new CompletionEntry[64];
        var backoff = new SpinThenSleep();
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            var posted = g.SubmitBatch(batch);
            var reaped = g.Poll(completions);
            for (var i = 0; i < reaped; i++)
            {
                failures += completions[i].Status == OpStatus.Ok ? 0 : 1;
            }
            if (posted + reaped == 0)
            {
                backoff.Pause();
            }
            else
            {
                backoff.Reset();
            }
        }
        return failures;
    }

    /// <summary>A copy driver for the victim that notes, on the worker thread, whether the hog's op was part-way through.</summary>
    private sealed class ProbeDriver(DeflateDriver hog) : KeylessDriver
    {
        private int _midOp;

        public int MidOp => Volatile.Read(ref _midOp);

        public override string Function => "probe";

        public override DriverKind Kind => DriverKind.Transform;

        public override OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
        {
            if (hog.Progress is > 0 and < HogOp)
            {
                Interlocked.Increment(ref _midOp);
            }
            input.CopyTo(output);
            written = input.Length;
            return OpStatus.Ok;
        }
    }
}
