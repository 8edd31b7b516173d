using Akka.Persistence.Journal;
using Fabric.Control.Entities;
using Fabric.Messages;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Persistence;

/// <summary>Events as the journal stores them (the format existing journals hold) and the refusals a failing journal gives.</summary>
public sealed class EventTagsTests
{
    private static readonly ProfileCreated Created = new("p", [new ProfileGroup("aes-256-gcm", 1)], "r1");
    private static readonly ProfileDeleted Deleted = new("p", "r2");

    [Fact]
    public void Events_with_tags_are_wrapped_and_events_without_stay_bare_and_both_unwrap_to_the_event()
    {
        var stored = EventTags.Tag([Created, Deleted], e => e is ProfileDeleted ? new HashSet<string> { "gone" } : EventTags.None);

        Assert.Same(Created, stored[0]);
        var tagged = Assert.IsType<Tagged>(stored[1]);
        Assert.Equal(["gone"], tagged.Tags);
        Assert.Equal<IFabricEvent>([Created, Deleted], stored.Select(EventTags.Untag));
    }

    [Fact]
    public void Journal_refusals_name_the_entity_the_cause_and_whether_a_retry_is_safe()
    {
        var cause = new TimeoutException("the store took too long");

        var failed = JournalRefusals.WriteFailed("profile-p", cause);
        var rejected = JournalRefusals.WriteRejected("profile-p", cause);
        var unread = JournalRefusals.RecoveryFailed("profile-p", cause);

        Assert.All([failed, rejected, unread], r => Assert.Equal(RejectReason.PersistenceFailed, r.Reason));
        Assert.All([failed, rejected, unread], r => Assert.StartsWith("profile-p: ", r.Message));
        Assert.All([failed, rejected, unread], r => Assert.Contains("the store took too long", r.Message));
        Assert.Contains("retry later with the same request id", failed.Message);
        Assert.Contains("nothing was changed", rejected.Message);
        Assert.Contains("nothing was changed, retry later", unread.Message);
    }
}
