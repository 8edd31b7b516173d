using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Guest;

namespace Fabric.Dataplane.Tests;

internal static class TestSupport
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static string NewChannelPath() => ChannelFile.PathFor("test-" + Guid.NewGuid().ToString("N"));

    /// <summary>An engine that backs off quickly, so idle tests do not burn a core.</summary>
    public static EngineOptions QuickOptions(int workers = 1) => new()
    {
        Workers = workers,
        IdleSpinPolls = 2_000,
        IdleYieldPolls = 200,
    };

    /// <summary>Waits for a condition, polling; fails the test with <paramref name="what"/> on timeout.</summary>
    public static void Until(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        var backoff = new SpinThenSleep();
        while (!condition())
        {
            if (sw.Elapsed > (timeout ?? Patience))
            {
                Assert.Fail("timed out waiting for " + what);
            }
            backoff.Pause();
        }
    }

    public static CompletionEntry Next(GuestChannel guest)
    {
        Assert.True(guest.Wait(out var c, Patience), "no completion within the timeout");
        return c;
    }

    public static SubmissionDescriptor Data(ulong tag, OpCode op, uint session, int inSlot, int inLength, int outSlot, int outCapacity, uint aad = 0, ReadOnlySpan<byte> nonce = default)
    {
        var d = new SubmissionDescriptor
        {
            Tag = tag,
            Op = op,
            Session = session,
            InSlot = (uint)inSlot,
            InLength = (uint)inLength,
            OutSlot = (uint)outSlot,
            OutCapacity = (uint)outCapacity,
            AadLength = aad,
        };
        nonce.CopyTo(d.Param);
        return d;
    }
}

/// <summary>An engine plus one queue on a fresh channel and the guest's view of it.</summary>
internal sealed class Rig : IDisposable
{
    public Rig(Fabric.Dataplane.Drivers.IGDriver driver, ChannelGeometry? geometry = null, EngineOptions? options = null, QueueOptions? queue = null)
    {
        Engine = new AccelerationEngine(options ?? TestSupport.QuickOptions());
        Path = TestSupport.NewChannelPath();
        var channel = ChannelFile.Create(Path, geometry ?? new ChannelGeometry(64, 64, 16, 64 * 1024));
        Engine.AddQueue("q", channel, driver, options: queue).Wait(TestSupport.Patience);
        Guest = GuestChannel.Open(Path);
    }

    public AccelerationEngine Engine { get; }
    public GuestChannel Guest { get; }
    public string Path { get; }

    public void Dispose()
    {
        Guest.Dispose();
        Engine.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}
