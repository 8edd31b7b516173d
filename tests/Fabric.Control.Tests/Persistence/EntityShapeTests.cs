using Fabric.Control.Attachments;
using Fabric.Control.Entities;
using Fabric.Control.Pipelines;
using Fabric.Control.Profiles;
using Fabric.Messages.Attachments;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Persistence;

/// <summary>An entity type's shape: its journal tags (read models follow them, so they must not drift) and the reply an event's command is logged with.</summary>
public sealed class EntityShapeTests
{
    [Fact]
    public void Only_the_picked_events_carry_the_index_tag_and_a_shape_without_tags_tags_nothing()
    {
        var shape = new EntityShape<AttachmentState>("attachment", (s, _) => s.ToView(),
            EntityShape<AttachmentState>.Only(AttachmentActor.IndexTag, e => e is AttachmentCreated or AttachmentDeleted));
        var untagged = shape with { TagsOf = null };

        Assert.Equal(["attachment-index"], shape.Tags(new AttachmentCreated("a", "vm", "p", [], "r")));
        Assert.Equal(["attachment-index"], shape.Tags(new AttachmentDeleted("a", "r")));
        Assert.Empty(shape.Tags(new AttachmentDetached("a", "r")));
        Assert.Empty(untagged.Tags(new AttachmentCreated("a", "vm", "p", [], "r")));
        Assert.Equal(("profile-index", "pipeline-index"), (ProfileActor.IndexTag, PipelineActor.IndexTag));
    }

    [Fact]
    public void The_state_applies_an_event_and_keeps_the_request_log_it_is_handed()
    {
        var created = AttachmentState.Empty("a").Apply(new AttachmentCreated("a", "vm", "p", [new ProfileGroup("sha256", 1)], "r"));
        var logged = created.WithRequests(created.Requests.Record("r", "answer"));

        Assert.True(logged.Requests.TryGet("r", out var reply));
        Assert.Equal("answer", reply);
        Assert.Equal(created with { Requests = logged.Requests }, logged);
        Assert.IsType<AttachmentView>(created.Query());
        Assert.IsType<Fabric.Messages.Errors.Rejected>(AttachmentState.Empty("b").Query());
        Assert.False(created.Gone);
        Assert.True(created.Apply(new AttachmentDeleted("a", "d")).Gone);
    }
}
