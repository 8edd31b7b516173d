using Fabric.Control.Profiles;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Profiles;

public class ProfileStateTests
{
    [Fact]
    public void A_valid_profile_is_created_with_its_groups()
    {
        var state = ProfileState.Empty("crypto");
        var decision = state.Decide(new CreateProfile("crypto", [new ProfileGroup("aes-256-gcm", 1), new ProfileGroup("sha256", 2)], "r"));

        var created = Assert.IsType<ProfileCreated>(Assert.Single(decision.Events));
        var after = state.Apply(created);
        Assert.True(after.Exists);
        Assert.Equal(2, after.Groups.Length);
    }

    [Theory]
    [InlineData("rot13", 1, RejectReason.UnknownFunction)]
    [InlineData("aes-256-gcm", 0, RejectReason.InvalidArgument)]
    [InlineData("aes-256-gcm", -1, RejectReason.InvalidArgument)]
    [InlineData("aes-256-gcm", 1000, RejectReason.InvalidArgument)]
    public void Bad_groups_are_refused_with_a_typed_error(string function, int queuePairs, RejectReason reason)
    {
        var decision = ProfileState.Empty("p").Decide(new CreateProfile("p", [new ProfileGroup(function, queuePairs)], "r"));

        Assert.Equal(reason, decision.Rejection?.Reason);
        Assert.Empty(decision.Events);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-starts-with-dash")]
    [InlineData("has space")]
    [InlineData("x/y")]
    public void Bad_names_are_refused(string name)
    {
        var decision = ProfileState.Empty(name).Decide(new CreateProfile(name, [new ProfileGroup("sha256", 1)], "r"));

        Assert.Equal(RejectReason.InvalidArgument, decision.Rejection?.Reason);
    }

    [Fact]
    public void A_profile_without_groups_is_refused()
    {
        var decision = ProfileState.Empty("p").Decide(new CreateProfile("p", [], "r"));

        Assert.Equal(RejectReason.InvalidArgument, decision.Rejection?.Reason);
    }

    [Fact]
    public void A_second_create_of_a_name_is_refused_with_the_same_groups_too_only_the_first_request_made_it()
    {
        var state = ProfileState.Empty("p");
        state = state.Apply(state.Decide(new CreateProfile("p", [new ProfileGroup("sha256", 1)], "r1")).Events.Single());

        // The retry of r1 itself is answered from the entity's request log (ProfileActor) and never decided again.
        var same = state.Decide(new CreateProfile("p", [new ProfileGroup("sha256", 1)], "r2"));
        var other = state.Decide(new CreateProfile("p", [new ProfileGroup("deflate", 1)], "r3"));

        Assert.Equal(RejectReason.AlreadyExists, same.Rejection?.Reason);
        Assert.Empty(same.Events);
        Assert.Equal(RejectReason.AlreadyExists, other.Rejection?.Reason);
    }

    [Fact]
    public void Deleting_a_missing_profile_is_not_found()
    {
        Assert.Equal(RejectReason.NotFound, ProfileState.Empty("p").Decide(new DeleteProfile("p", "r")).Rejection?.Reason);
    }
}
