using Fabric.Control.Gateway;
using Fabric.Messages.Devices;
using Fabric.Messages.Vim;
using Xunit;

namespace Fabric.Control.Tests.Gateway;

/// <summary>What a gateway sends again to a subscriber that renews saying when it last heard.</summary>
public sealed class RecentEventsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private static FabricEvent At(int seconds, string device) =>
        new DeviceHealthEvent(device, "h1", DeviceHealth.Lost, "node h1 was downed") { At = T0.AddSeconds(seconds) };

    [Fact]
    public void A_replay_holds_what_came_after_the_time_asked_for_and_a_margin_before_it()
    {
        var recent = new RecentEvents(capacity: 10);
        foreach (var s in new[] { 0, 5, 9, 10, 20 })
        {
            recent.Add(At(s, $"d{s}"));
        }

        var replay = recent.Since(T0.AddSeconds(10)).Select(e => ((DeviceHealthEvent)e).DeviceId).ToArray();

        // 10 and 20 came after; 9 is within the clock margin (2 s); 5 and 0 are older.
        Assert.Equal(["d9", "d10", "d20"], replay);
    }

    [Fact]
    public void Only_the_most_recent_events_are_kept()
    {
        var recent = new RecentEvents(capacity: 3);
        for (var s = 0; s < 6; s++)
        {
            recent.Add(At(s, $"d{s}"));
        }

        Assert.Equal(["d3", "d4", "d5"], recent.Since(T0.AddSeconds(-10)).Select(e => ((DeviceHealthEvent)e).DeviceId));
    }
}
