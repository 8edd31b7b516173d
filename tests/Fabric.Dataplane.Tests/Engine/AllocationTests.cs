using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine.Scheduling;
using Fabric.Dataplane.Guest;
using Xunit.Abstractions;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Engine;

/// <summary>The data path allocates nothing: neither the AC worker nor the guest library, per operation.</summary>
public class AllocationTests(ITestOutputHelper output)
{
    private const long OneOffBytes = 1024;

    [Theory]
    [InlineData("aes-256-gcm", 100_000, 1024)]
    [InlineData("chacha20-poly1305", 20_000, 1024)]
    [InlineData("sha256", 20_000, 1024)]
    [InlineData("hmac-sha256", 20_000, 1024)]
    [InlineData("crc32c", 20_000, 1024)]
    [InlineData("deflate", 10_000, 1024)]
    [InlineData("brotli", 5_000, 1024)]
    [InlineData("aes-256-cbc", 20_000, 1024)]
    [InlineData("aes-256-cbc", 5_000, 16 * 1024)]
    [InlineData("deflate->aes-256-gcm->sha256", 10_000, 4096)]
    public void Operations_allocate_nothing_on_the_worker_or_the_guest(string function, int operations, int size)
    {
        var driver = GDriverCatalog.Create(function);
        var keyed = driver.RequiresSession;
        using var rig = new Rig(driver, new ChannelGeometry(256, 256, 8, 64 * 1024));
        var g = rig.Guest;
        var session = keyed ? g.OpenSession(new byte[32], 0, Patience) : 0u;
        var data = g.Slot(1)[..size];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i % 61);
        }
        var batch = new SubmissionDescriptor[32];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = Data((ulong)i, OpCode.Forward, session, 1, size, 2 + (i % 6), 64 * 1024);
        }
        var completions = new CompletionEntry[32];

        Run(g, batch, completions, 3_000); // warm up: JIT, static constructors, OpenSSL contexts
        var workerBefore = WorkerAllocated(rig);
        var guestBefore = GC.GetAllocatedBytesForCurrentThread();
        var errors = Run(g, batch, completions, operations);
        var guestAllocated = GC.GetAllocatedBytesForCurrentThread() - guestBefore;
        var workerAllocated = WorkerAllocated(rig) - workerBefore;

        output.WriteLine($"{function}: {operations} ops, worker allocated {workerAllocated} B, guest {guestAllocated} B");
        Assert.Equal(0, errors);
        // Nothing per operation: one allocating op would cost at least 24 B x operations. A few hundred bytes once
        // (seen now and then on the worker under a loaded machine: the runtime promoting the worker loop while it
        // runs) are not per operation, so the bound is well under one byte per hundred operations.
        Assert.True(workerAllocated < OneOffBytes, $"worker allocated {workerAllocated} B over {operations} operations");
        Assert.True(guestAllocated < OneOffBytes, $"guest allocated {guestAllocated} B over {operations} operations");
    }

    [Fact]
    public void An_asynchronous_driver_finishing_out_of_order_allocates_nothing_on_the_worker()
    {
        using var rig = new Rig(new ReorderingDriver(hold: 6, perSubmit: 5), new ChannelGeometry(256, 256, 8, 4096));
        var g = rig.Guest;
        var batch = new SubmissionDescriptor[32];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = Data((ulong)i, OpCode.Forward, 0, 1, 256, 2 + (i % 6), 256);
        }
        var completions = new CompletionEntry[32];
        Run(g, batch, completions, 3_000);
        var workerBefore = WorkerAllocated(rig);
        var errors = Run(g, batch, completions, 50_000);
        var workerAllocated = WorkerAllocated(rig) - workerBefore;
        output.WriteLine($"async reordering driver: 50000 ops, worker allocated {workerAllocated} B");
        Assert.Equal(0, errors);
        Assert.True(workerAllocated < OneOffBytes, $"worker allocated {workerAllocated} B over 50000 operations");
    }

    [Fact]
    public async Task Service_level_rounds_with_throttling_allocate_nothing_on_the_worker()
    {
        // The scheduler active on the worker (a level set), the queue held to a peak well under what it posts, so rounds
        // grant, charge, throttle, refill and publish (a 250 ms window) all through the measured ops.
        using var rig = new Rig(GDriverCatalog.Create("aes-256-gcm"), new ChannelGeometry(256, 256, 8, 64 * 1024));
        var level = QueueServiceLevel.BestEffort with
        {
            Weight = 3, Class = QueueClass.Latency, CommittedOpsPerSecond = 5_000, PeakOpsPerSecond = 40_000, PeakBytesPerSecond = 30_000_000,
        };
        await rig.Engine.SetServiceLevel("q", level).WaitAsync(Patience);
        var g = rig.Guest;
        var session = g.OpenSession(new byte[32], 0, Patience);
        var batch = new SubmissionDescriptor[32];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = Data((ulong)i, OpCode.Forward, session, 1, 1024, 2 + (i % 6), 64 * 1024);
        }
        var completions = new CompletionEntry[32];

        Run(g, batch, completions, 3_000);
        var throttledBefore = rig.Engine.GetStats("q")!.Service!.ThrottledNanos;
        var workerBefore = WorkerAllocated(rig);
        var errors = Run(g, batch, completions, 20_000);
        var workerAllocated = WorkerAllocated(rig) - workerBefore;
        // Published once a window: wait for the next one so the throttled time covers the measured ops.
        Until(() => rig.Engine.GetStats("q")!.Service!.ThrottledNanos > throttledBefore, "the throttled time to be published");
        var service = rig.Engine.GetStats("q")!.Service!;

        output.WriteLine($"scheduled rounds, 20000 ops at a 30 MB/s peak: worker allocated {workerAllocated} B; throttled {(service.ThrottledNanos - throttledBefore) / 1e6:F0} ms");
        Assert.Equal(0, errors);
        Assert.True(service.Scheduled, "the worker scheduled by service level");
        Assert.True(workerAllocated < OneOffBytes, $"worker allocated {workerAllocated} B over 20000 operations");
    }

    private static int Run(GuestChannel g, SubmissionDescriptor[] batch, CompletionEntry[] completions, int operations)
    {
        var errors = 0;
        var done = 0;
        while (done < operations)
        {
            var n = Math.Min(batch.Length, operations - done);
            var posted = g.SubmitBatch(batch.AsSpan(0, n));
            var got = 0;
            while (got < posted)
            {
                var k = g.Wait(completions.AsSpan(0, posted - got), Patience);
                if (k == 0)
                {
                    return -1;
                }
                for (var i = 0; i < k; i++)
                {
                    if (completions[i].Status != OpStatus.Ok)
                    {
                        errors++;
                    }
                }
                got += k;
            }
            done += posted;
        }
        return errors;
    }

    /// <summary>The worker's allocation counter, read after it has run two more loops (so it covers all done work).</summary>
    private static long WorkerAllocated(Rig rig)
    {
        var loops = rig.Engine.Workers[0].Loops;
        Until(() => rig.Engine.Workers[0].Loops >= loops + 2, "the worker to loop");
        return rig.Engine.Workers[0].AllocatedBytes;
    }
}
