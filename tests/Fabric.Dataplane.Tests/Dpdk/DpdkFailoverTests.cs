using System.Collections.Concurrent;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Tests.Drivers;
using Xunit.Abstractions;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>
/// Supervision of a DPDK device through the AC's own fault path (the node agent's: a driver fault or a missed
/// deadline is signalled, the agent swaps the queue's driver): a guest streams AES-256-GCM through a real channel on
/// <c>crypto_aesni_gcm</c>; the device hangs or fails (a fault-injecting wrapper around the DPDK driver). A reset is a
/// fresh driver on the same device, and the replaced driver's queue pair is reset when it is disposed (device
/// stopped, queue pair set up again, device started); past the budget the queue moves to the .NET driver. Every op
/// the guest posted is answered, in order; every Ok answer is byte-identical to the .NET driver's.
/// </summary>
[Collection(DpdkCollection.Name)]
public class DpdkFailoverTests(DpdkFixture dpdk, ITestOutputHelper output)
{
    private const int Batch = 16;
    private const int Rounds = 60;
    private const int FaultRound = 20;

    [Fact]
    public void A_hung_device_is_reset_its_queue_stays_on_it_and_every_op_is_answered()
    {
        var device = dpdk.Device("crypto_aesni_gcm0");
        var resetsBefore = device.Resets;
        var statuses = Stream(FaultInjectingAsyncDriver.Fault.StopCompleting, fallback: () => new DpdkGDriver(device, "aes-256-gcm"), out var replaced, out var swappedAt);
        // Only the ops the hung device held missed their deadline; the reset driver on the same device answered the rest.
        Assert.All(statuses, s => Assert.True(s is OpStatus.Ok or OpStatus.DeadlineExceeded, s.ToString()));
        Assert.Contains(OpStatus.DeadlineExceeded, statuses);
        Assert.All(statuses.Take(FaultRound * Batch), s => Assert.Equal(OpStatus.Ok, s));
        Assert.All(statuses.Skip(swappedAt + Batch), s => Assert.Equal(OpStatus.Ok, s));
        Assert.Equal("ok", ((DpdkGDriver)replaced.Inner).LastReset);
        Assert.True(device.Resets > resetsBefore);
        Assert.Equal(device.QueuePairs, device.FreeQueuePairs);
    }

    [Fact]
    public void A_failing_device_moves_to_the_software_driver_its_queue_pair_is_reset_and_every_op_is_answered()
    {
        var device = dpdk.Device("crypto_aesni_gcm0");
        var statuses = Stream(FaultInjectingAsyncDriver.Fault.Error, fallback: () => new AesGcmDriver(), out var replaced, out var swappedAt);
        Assert.All(statuses, s => Assert.True(s is OpStatus.Ok or OpStatus.DriverFault, s.ToString()));
        Assert.Contains(OpStatus.DriverFault, statuses);
        Assert.All(statuses.Take(FaultRound * Batch), s => Assert.Equal(OpStatus.Ok, s));
        Assert.All(statuses.Skip(swappedAt + Batch), s => Assert.Equal(OpStatus.Ok, s));
        Assert.Equal("ok", ((DpdkGDriver)replaced.Inner).LastReset);
        Assert.Equal(device.QueuePairs, device.FreeQueuePairs);
    }

    [Fact]
    public async Task A_queue_pair_reset_pauses_the_other_queue_pairs_between_bursts_and_loses_none_of_their_ops()
    {
        var device = dpdk.Device("crypto_aesni_mb0");
        using var busy = new DpdkGDriver(device, "aes-256-gcm");
        using var reference = new AesGcmDriver();
        var key = KnownAnswerTests.RandomBytes(32, seed: 5);
        var session = DriverHarness.Open(busy, key);
        var referenceSession = DriverHarness.Open(reference, key);
        var resets = 0;
        var problems = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var resetter = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var victim = new DpdkGDriver(device, "aes-256-gcm");
                victim.RequestReset();
                victim.Dispose();
                if (victim.LastReset != "ok")
                {
                    problems.Enqueue(victim.LastReset ?? "no reset");
                }
                Interlocked.Increment(ref resets);
            }
        });
        try
        {
            for (var i = 0; i < 3000 || Volatile.Read(ref resets) < 20; i++)
            {
                Assert.True(i < 1_000_000, "the resetter never ran");
                var input = KnownAnswerTests.RandomBytes(64 + i % 200, seed: i);
                var nonce = KnownAnswerTests.RandomBytes(12, seed: 1_000_000 + i);
                var got = DriverHarness.Run(busy, OpCode.Forward, session, input, nonce, 0);
                Assert.Equal(OpStatus.Ok, got.Status);
                Assert.Equal(DriverHarness.Run(reference, OpCode.Forward, referenceSession, input, nonce, 0).Output, got.Output);
            }
        }
        finally
        {
            stop.Cancel();
            await resetter.WaitAsync(Patience);
        }
        Assert.Empty(problems);
        output.WriteLine($"{resets} queue pair resets while the other queue pair ran 3000+ ops");
        busy.CloseSession(session);
    }

    [Fact]
    public void A_compressdev_queue_pair_is_reset_and_serves_again()
    {
        var device = dpdk.Any("compress_isal0");
        var resets = device.Resets;
        var first = new DpdkGDriver(device, "deflate");
        first.RequestReset();
        first.Dispose();
        Assert.Equal("ok", first.LastReset);
        Assert.Equal(resets + 1, device.Resets);
        using var again = new DpdkGDriver(device, "deflate");
        var output = new byte[64];
        var op = new DriverOp(OpCode.Inverse, null, new byte[12], 0, long.MaxValue);
        Assert.Equal(OpStatus.Ok, again.Execute(op, Convert.FromHexString("cb48cdc9c90700"), output, out var n));
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(output, 0, n));
    }

    [Fact]
    public void A_driver_that_needed_no_reset_leaves_the_device_running()
    {
        var device = dpdk.Device("crypto_openssl0");
        var resets = device.Resets;
        var driver = new DpdkGDriver(device, "sha256");
        var digest = new byte[32];
        Assert.Equal(OpStatus.Ok, driver.Execute(new DriverOp(OpCode.Forward, null, new byte[12], 0, long.MaxValue), "abc"u8, digest, out _));
        driver.Dispose();
        Assert.Null(driver.LastReset);
        Assert.Equal(resets, device.Resets);
        Assert.Equal(device.QueuePairs, device.FreeQueuePairs);
    }

    /// <summary>
    /// Rounds of 16 seals; the device is armed with <paramref name="fault"/> right after round 20 is posted. On the
    /// engine's first fault signal the test does what the node agent does: swaps the queue to <paramref name="fallback"/>
    /// (a reset: a fresh driver on the same device; past the budget: the software driver) and disposes the old driver.
    /// </summary>
    private List<OpStatus> Stream(FaultInjectingAsyncDriver.Fault fault, Func<IGDriver> fallback, out FaultInjectingAsyncDriver replaced, out int swappedAt)
    {
        var device = new FaultInjectingAsyncDriver(new DpdkGDriver(dpdk.Device("crypto_aesni_gcm0"), "aes-256-gcm"));
        var signals = new ConcurrentQueue<DriverFaultSignal>();
        var options = QuickOptions() with { DriverFaulted = signals.Enqueue };
        using var rig = new Rig(device, new ChannelGeometry(64, 64, 2 * Batch + 2, 4096), options,
            new QueueOptions { OpDeadline = TimeSpan.FromMilliseconds(300) });
        using var reference = new AesGcmDriver();
        var g = rig.Guest;
        var key = KnownAnswerTests.RandomBytes(32, seed: 21);
        var session = g.OpenSession(key, 0, Patience);
        var referenceSession = DriverHarness.Open(reference, key);
        var batch = new SubmissionDescriptor[Batch];
        var completions = new CompletionEntry[Batch];
        var statuses = new List<OpStatus>();
        swappedAt = -1;
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var round = 0; round < Rounds || swappedAt < 0 || statuses.Count < swappedAt + 5 * Batch; round++)
        {
            Assert.True(started.Elapsed < Patience, "the fault was never signalled");
            var expected = new byte[Batch][];
            for (var i = 0; i < Batch; i++)
            {
                var input = KnownAnswerTests.RandomBytes(64 + 97 * i, seed: round * 100 + i);
                var nonce = KnownAnswerTests.RandomBytes(12, seed: 50_000 + round * 100 + i);
                input.CopyTo(g.Slot(1 + i));
                expected[i] = DriverHarness.Run(reference, OpCode.Forward, referenceSession, input, nonce, 16).Output;
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
                if (swappedAt < 0 && signals.TryDequeue(out _))
                {
                    var old = rig.Engine.SwapDriverAsync("q", fallback()).Result;
                    Assert.Same(device, old);
                    old.Dispose(); // as the AC does: a DPDK driver resets its queue pair here
                    swappedAt = statuses.Count;
                }
                var n = g.Wait(completions.AsSpan(0, Batch - got), TimeSpan.FromMilliseconds(50));
                if (n == 0)
                {
                    Assert.True(started.Elapsed < Patience, $"round {round}: op {got} was never answered");
                    continue;
                }
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
        }
        Assert.Equal(0, statuses.Count % Batch);
        replaced = device;
        var stats = rig.Engine.GetStats("q")!;
        output.WriteLine($"{fault}: swapped after {swappedAt} answers; deadlines {stats.DeadlinesExceeded}, driver faults {stats.DriverFaults}");
        reference.CloseSession(referenceSession);
        return statuses;
    }
}
