using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Guest;
using Fabric.Dataplane.Handoff;

namespace Fabric.Guest.Tests;

/// <summary>An in-process AC serving one queue with a chosen chain on a fresh channel: what a node gives a VM.</summary>
internal sealed class GuestRig : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private bool _removed;

    public GuestRig(string chain, ChannelGeometry? geometry = null)
        : this(GDriverCatalog.Create(chain), geometry)
    {
    }

    public GuestRig(IGDriver driver, ChannelGeometry? geometry = null, QueueOptions? queue = null)
    {
        // Backs off quickly when idle so waiting tests do not burn the second core.
        Engine = new AccelerationEngine(new EngineOptions { Workers = 1, IdleSpinPolls = 2_000, IdleYieldPolls = 200 });
        QueueId = "guest-test-" + Guid.NewGuid().ToString("N");
        // As a node does by default: a sealed memfd handed over on a socket; the socket is the handle's path.
        var channel = ChannelFile.CreateSealed(QueueId, geometry ?? ChannelGeometry.Default);
        _server = ChannelServer.Start(ChannelDirectory.SocketPath(ChannelDirectory.ForNode(ChannelDirectory.DefaultRoot, "guest-tests", Environment.ProcessId), QueueId), channel);
        Path = _server.SocketPath;
        Assert.True(Engine.AddQueue(QueueId, channel, driver, options: queue).Wait(Patience), "the AC did not take the queue");
    }

    private readonly ChannelServer _server;

    public AccelerationEngine Engine { get; }

    public string QueueId { get; }

    public string Path { get; }

    public GuestWorkloadOptions Options(GuestOp op, long? count = null) => new()
    {
        ChannelPath = Path,
        Op = op,
        Count = count,
        Duration = count is null ? TimeSpan.FromMinutes(1) : null,
        ProgressInterval = TimeSpan.FromMinutes(1),
    };

    public Task<QueueRemoval> RemoveQueueAsync(TimeSpan drain)
    {
        _removed = true;
        return Engine.RemoveQueueAsync(QueueId, drain);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_removed && Engine.GetStats(QueueId) is not null)
        {
            // A stopped engine has forgotten its queues; the file is deleted below either way.
            _removed = true;
            await Engine.RemoveQueueAsync(QueueId, TimeSpan.FromSeconds(1));
        }
        await Engine.DisposeAsync();
        _server.Dispose();
    }

    /// <summary>Waits for a condition, polling; fails the test with <paramref name="what"/> on timeout.</summary>
    public static void Until(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        var backoff = new SpinThenSleep();
        while (!condition())
        {
            if (sw.Elapsed > Patience)
            {
                Assert.Fail("timed out waiting for " + what);
            }
            backoff.Pause();
        }
    }

    /// <summary>Every submitted operation is ok, an error, or lost: nothing unaccounted, nothing counted twice.</summary>
    public static void AssertAccounted(GuestResult r) =>
        Assert.True(r.Submitted == r.Ok + r.Errors + r.Lost,
            $"submitted {r.Submitted} != ok {r.Ok} + errors {r.Errors} + lost {r.Lost}");
}
