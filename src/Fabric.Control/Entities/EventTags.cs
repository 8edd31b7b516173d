using Akka.Persistence.Journal;
using Fabric.Messages;

namespace Fabric.Control.Entities;

/// <summary>
/// Events as the journal stores them: wrapped in <see cref="Tagged"/> when they carry tags for read models, bare
/// otherwise (the journal's format: existing journals hold both shapes).
/// </summary>
public static class EventTags
{
    public static readonly IReadOnlySet<string> None = new HashSet<string>();

    public static object[] Tag(IReadOnlyList<IFabricEvent> events, Func<IFabricEvent, IReadOnlySet<string>> tagsOf)
    {
        var tagged = new object[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var tags = tagsOf(events[i]);
            tagged[i] = tags.Count == 0 ? events[i] : new Tagged(events[i], tags);
        }

        return tagged;
    }

    public static IFabricEvent Untag(object persisted) => (IFabricEvent)(persisted is Tagged t ? t.Payload : persisted);
}
