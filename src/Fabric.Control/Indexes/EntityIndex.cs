using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Streams;
using Fabric.Control.Events;
using Fabric.Messages;

namespace Fabric.Control.Indexes;

/// <summary>
/// A read model of which entities exist, grouped by a key (e.g. attachments by VM): it follows one journal tag on
/// which the entity type writes only its "created" and "deleted" events. Lists are answered from it; the entities
/// themselves answer for their current state.
/// </summary>
public sealed class EntityIndex : ReceiveActor
{
    private readonly SortedIndex _index = new();
    private readonly string? _readJournalId;
    private readonly string _tag;
    private readonly Func<IFabricEvent, IndexChange?> _change;
    private long _offset;
    private UniqueKillSwitch? _killSwitch;

    /// <param name="readJournalId">The journal to follow; null for an index fed only by the envelopes sent to it (tests, tools).</param>
    public EntityIndex(string? readJournalId, string tag, Func<IFabricEvent, IndexChange?> change)
    {
        _readJournalId = readJournalId;
        _tag = tag;
        _change = change;
        Receive<EventEnvelope>(envelope =>
        {
            if (envelope.Event is IFabricEvent e && _change(e) is { } c)
            {
                _index.Apply(c);
            }

            if (envelope.Offset is Sequence sequence && sequence.Value > _offset)
            {
                Interlocked.Exchange(ref _offset, sequence.Value);
            }
        });
        Receive<QueryIndex>(q => Sender.Tell(_index.Page(q.Group, q.After, q.Limit)));
    }

    public static Props Props(string? readJournalId, string tag, Func<IFabricEvent, IndexChange?> change) =>
        Akka.Actor.Props.Create(() => new EntityIndex(readJournalId, tag, change));

    protected override void PreStart()
    {
        if (_readJournalId is not null)
        {
            _killSwitch = TagStream.Follow(Context, _readJournalId, _tag, () => Interlocked.Read(ref _offset));
        }
    }

    protected override void PostStop() => _killSwitch?.Shutdown();
}

/// <summary>An entity appeared (<paramref name="Exists"/>) or went away, in <paramref name="Group"/>.</summary>
public sealed record IndexChange(string Id, string Group, bool Exists);

/// <summary>At most <paramref name="Limit"/> ids in <paramref name="Group"/> (or in all groups when null), in ordinal order after <paramref name="After"/>.</summary>
public sealed record QueryIndex(string? Group, string? After = null, int Limit = int.MaxValue);

/// <summary>A page of ids; <paramref name="More"/> when ids follow the last one.</summary>
public sealed record IndexEntries(IReadOnlyList<string> Ids, bool More);
