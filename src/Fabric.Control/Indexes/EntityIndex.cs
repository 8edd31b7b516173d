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
    private readonly Dictionary<string, string> _groupOf = new(StringComparer.Ordinal);
    private readonly string _readJournalId;
    private readonly string _tag;
    private readonly Func<IFabricEvent, IndexChange?> _change;
    private long _offset;
    private UniqueKillSwitch? _killSwitch;

    public EntityIndex(string readJournalId, string tag, Func<IFabricEvent, IndexChange?> change)
    {
        _readJournalId = readJournalId;
        _tag = tag;
        _change = change;
        Receive<EventEnvelope>(envelope =>
        {
            if (envelope.Event is IFabricEvent e && _change(e) is { } c)
            {
                if (c.Exists)
                {
                    _groupOf[c.Id] = c.Group;
                }
                else
                {
                    _groupOf.Remove(c.Id);
                }
            }

            if (envelope.Offset is Sequence sequence && sequence.Value > _offset)
            {
                Interlocked.Exchange(ref _offset, sequence.Value);
            }
        });
        Receive<QueryIndex>(q => Sender.Tell(new IndexEntries(_groupOf
            .Where(kv => q.Group is null || kv.Value == q.Group)
            .Select(kv => kv.Key)
            .Order(StringComparer.Ordinal)
            .ToArray())));
    }

    public static Props Props(string readJournalId, string tag, Func<IFabricEvent, IndexChange?> change) =>
        Akka.Actor.Props.Create(() => new EntityIndex(readJournalId, tag, change));

    protected override void PreStart() =>
        _killSwitch = TagStream.Follow(Context, _readJournalId, _tag, () => Interlocked.Read(ref _offset));

    protected override void PostStop() => _killSwitch?.Shutdown();
}

/// <summary>An entity appeared (<paramref name="Exists"/>) or went away, in <paramref name="Group"/>.</summary>
public sealed record IndexChange(string Id, string Group, bool Exists);

/// <summary>Ids in <paramref name="Group"/>, or all when null.</summary>
public sealed record QueryIndex(string? Group);

public sealed record IndexEntries(IReadOnlyList<string> Ids);
