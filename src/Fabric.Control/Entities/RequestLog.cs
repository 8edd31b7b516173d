using System.Collections.Immutable;

namespace Fabric.Control.Entities;

/// <summary>
/// The answers an entity gave to its most recent requests, so a retry with the same request id gets the first
/// answer. Rebuilt from events on recovery (every event carries its request id) and kept in snapshots.
/// Bounded: a client retries within seconds, not after hundreds of other requests to the same entity.
/// </summary>
public sealed record RequestLog(ImmutableDictionary<string, object> Replies, ImmutableQueue<string> Order)
{
    public const int Capacity = 64;

    public static RequestLog Empty { get; } = new(ImmutableDictionary<string, object>.Empty, ImmutableQueue<string>.Empty);

    public bool TryGet(string requestId, out object reply) => Replies.TryGetValue(requestId, out reply!);

    public RequestLog Record(string requestId, object reply)
    {
        if (Replies.ContainsKey(requestId))
        {
            // A command that wrote several events answers with the state after the last of them.
            return this with { Replies = Replies.SetItem(requestId, reply) };
        }

        var replies = Replies.Add(requestId, reply);
        var order = Order.Enqueue(requestId);
        if (replies.Count > Capacity)
        {
            order = order.Dequeue(out var oldest);
            replies = replies.Remove(oldest);
        }

        return new RequestLog(replies, order);
    }
}
