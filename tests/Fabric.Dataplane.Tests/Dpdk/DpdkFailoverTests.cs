using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Xunit.Abstractions;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>
/// Supervision at the engine level: a guest streams AES-256-GCM through a real channel served by a DPDK device; the
/// device hangs or fails (a fault-injecting wrapper around the DPDK driver); the watchdog moves the queue to the .NET
/// software driver; every op the guest posted is answered, in order, byte-identical to the .NET driver.
/// </summary>
[Collection(DpdkCollection.Name)]
public class DpdkFailoverTests(DpdkFixture dpdk, ITestOutputHelper output)
{
    private const int Batch = 16;
    private const int Rounds = 60;
    private const int FaultRound = 20;

    [Fact]
    public void A_hung_device_moves_to_the_software_driver_before_any_deadline_and_nothing_is_lost()
    {
        var statuses = Stream(FaultInjectingAsyncDriver.Fault.StopCompleting, out var moves, out var stats, out _);
        Assert.All(statuses, s => Assert.Equal(OpStatus.Ok, s));
        var move = Assert.Single(moves);
        Assert.Equal("q", move.QueueId);
        Assert.Contains("completed none for", move.Reason, StringComparison.Ordinal);
        Assert.Equal(0, stats.DeadlinesExceeded);
        Assert.Equal(0, stats.DriverFaults);
    }

    [Fact]
    public void A_failing_device_moves_to_the_software_driver_and_every_op_is_answered()
    {
        var statuses = Stream(FaultInjectingAsyncDriver.Fault.Error, out var moves, out _, out var movedAt);
        Assert.Contains("failed", Assert.Single(moves).Reason, StringComparison.Ordinal);
        Assert.All(statuses, s => Assert.True(s is OpStatus.Ok or OpStatus.DriverFault, s.ToString()));
        var failed = statuses.Count(s => s == OpStatus.DriverFault);
        output.WriteLine($"{failed} op(s) answered DriverFault before the move (how many depends on how soon the watchdog's thread runs)");
        Assert.True(failed >= 1);
        Assert.All(statuses.Take(FaultRound * Batch), s => Assert.Equal(OpStatus.Ok, s));
        // Once moved, the software driver answers everything, for as long as the guest streams.
        Assert.True(statuses.Count - movedAt >= 5 * Batch);
        Assert.All(statuses.Skip(movedAt), s => Assert.Equal(OpStatus.Ok, s));
    }

    /// <summary>Rounds of 16 seals; the device is armed with <paramref name="fault"/> right after round 20 is posted.</summary>
    /// <param name="movedAt">How many answers the guest had when it saw the move; it streams 5 rounds more at least.</param>
    private List<OpStatus> Stream(FaultInjectingAsyncDriver.Fault fault, out IReadOnlyList<(string QueueId, string Reason)> moves, out QueueStats stats, out int movedAt)
    {
        var device = new FaultInjectingAsyncDriver(new DpdkGDriver(dpdk.Device("crypto_aesni_gcm0"), "aes-256-gcm"));
        using var rig = new Rig(device, new ChannelGeometry(64, 64, 2 * Batch + 2, 4096), queue: new QueueOptions { OpDeadline = TimeSpan.FromSeconds(10) });
        using var watchdog = new DpdkQueueWatchdog(rig.Engine, stallAfter: TimeSpan.FromMilliseconds(50));
        watchdog.Watch("q", device, () => new AesGcmDriver());
        using var reference = new AesGcmDriver();
        var g = rig.Guest;
        var key = Drivers.KnownAnswerTests.RandomBytes(32, seed: 21);
        var session = g.OpenSession(key, 0, Patience);
        var referenceSession = Drivers.DriverHarness.Open(reference, key);
        var batch = new SubmissionDescriptor[Batch];
        var completions = new CompletionEntry[Batch];
        var statuses = new List<OpStatus>();
        movedAt = -1;
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var round = 0; round < Rounds || movedAt < 0 || statuses.Count < movedAt + 5 * Batch; round++)
        {
            Assert.True(started.Elapsed < Patience, "the watchdog never moved the queue");
            var expected = new byte[Batch][];
            for (var i = 0; i < Batch; i++)
            {
                var input = Drivers.KnownAnswerTests.RandomBytes(64 + 97 * i, seed: round * 100 + i);
                var nonce = Drivers.KnownAnswerTests.RandomBytes(12, seed: 50_000 + round * 100 + i);
                input.CopyTo(g.Slot(1 + i));
                expected[i] = Drivers.DriverHarness.Run(reference, OpCode.Forward, referenceSession, input, nonce, 16).Output;
                batch[i] = Data((ulong)(round * Batch + i), OpCode.Forward, session, 1 + i, input.Length, 1 + Batch + i, 4096, 16, nonce);
            }
            Assert.Equal(Batch, g.SubmitBatch(batch));
            if (round == FaultRound)
            {
                device.Arm(fault); // ops of this round are in the device or about to be
            }
            var got = 0;
            while (got < Batch)
            {
                var n = g.Wait(completions.AsSpan(0, Batch - got), Patience);
                Assert.True(n > 0, $"round {round}: op {got} was never answered");
                for (var i = 0; i < n; i++, got++)
                {
                    Assert.Equal((ulong)(round * Batch + got), completions[i].Tag);
                    statuses.Add(completions[i].Status);
                    if (completions[i].Status == OpStatus.Ok)
                    {
                        Assert.Equal(expected[got], g.Slot(1 + Batch + got)[..(int)completions[i].OutLength].ToArray());
                    }
                }
            }
            if (movedAt < 0 && watchdog.Moves.Count > 0)
            {
                movedAt = statuses.Count;
            }
        }
        Assert.Equal(0, statuses.Count % Batch);
        Assert.IsType<AesGcmDriver>(rig.Engine.SwapDriverAsync("q", new AesGcmDriver()).Result);
        moves = watchdog.Moves;
        stats = rig.Engine.GetStats("q")!;
        output.WriteLine($"{fault}: moved ({moves[0].Reason}); deadlines {stats.DeadlinesExceeded}, driver faults {stats.DriverFaults}");
        reference.CloseSession(referenceSession);
        return statuses;
    }
}
