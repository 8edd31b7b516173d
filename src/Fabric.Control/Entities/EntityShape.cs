using Fabric.Messages;

namespace Fabric.Control.Entities;

/// <summary>
/// What sets one entity type apart from the others, given to <see cref="FabricEntity{TState}"/> once at construction
/// instead of as overrides: its type (the persistence id's prefix, which existing journals are keyed by), the answer a
/// command that wrote an event gives, its journal tags, and how it uses the journal.
/// </summary>
/// <param name="ReplyFor">The answer a command that wrote the event gives, from the state after it (also logged for retries).</param>
/// <param name="TagsOf">Journal tags of an event, for read models; none when null.</param>
/// <param name="TakesSnapshots">
/// Whether it keeps snapshots. An entity with a short journal by nature is cheaper without: starting it then skips the
/// snapshot store's query altogether.
/// </param>
/// <param name="PipelinesWrites">
/// Whether commands are decided while earlier writes are still in flight. An entity that many requests queue at (a
/// device: every bind and delete reserves or releases on one) otherwise takes one command per journal round trip.
/// Pipelined, each decision is applied to the state at once, its events join the entity's next journal write, and every
/// answer (also a refusal, a retried request's, a query's) is sent only once what it was decided on is in the journal.
/// </param>
public sealed record EntityShape<TState>(
    string Type,
    Func<TState, IFabricEvent, object> ReplyFor,
    Func<IFabricEvent, IReadOnlySet<string>>? TagsOf = null,
    bool TakesSnapshots = true,
    bool PipelinesWrites = false)
{
    public IReadOnlySet<string> Tags(IFabricEvent e) => TagsOf?.Invoke(e) ?? EventTags.None;

    /// <summary>Tags <paramref name="tag"/> on the events <paramref name="tagged"/> picks (an index following creations and deletions).</summary>
    public static Func<IFabricEvent, IReadOnlySet<string>> Only(string tag, Func<IFabricEvent, bool> tagged)
    {
        IReadOnlySet<string> tags = new HashSet<string> { tag };
        return e => tagged(e) ? tags : EventTags.None;
    }
}
