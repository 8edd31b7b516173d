using Fabric.Messages.Vim;

namespace Fabric.Control.Gateway;

/// <summary>
/// The most recent fabric events in publication order, bounded: what a subscriber that lost its connection for a
/// moment asks for again. Clocks of different nodes differ a little, so a replay reaches back a margin before the
/// time asked for; subscribers drop what they have seen.
/// </summary>
public sealed class RecentEvents(int capacity)
{
    public static readonly TimeSpan ClockMargin = TimeSpan.FromSeconds(2);

    private readonly Queue<FabricEvent> _events = new();

    public void Add(FabricEvent e)
    {
        _events.Enqueue(e);
        if (_events.Count > capacity)
        {
            _events.Dequeue();
        }
    }

    public IEnumerable<FabricEvent> Since(DateTimeOffset since) => _events.Where(e => e.At > since - ClockMargin).ToArray();
}
