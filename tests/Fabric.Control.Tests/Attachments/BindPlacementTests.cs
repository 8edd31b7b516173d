using System.Collections.Immutable;
using Fabric.Control.Attachments;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Attachments;

/// <summary>The placement side of a bind saga without actors: candidates in turn, a second round for full devices, the failed bind's message.</summary>
public sealed class BindPlacementTests
{
    private static readonly AttachmentState Sealing = AttachmentState.Empty("a1") with
    {
        Exists = true,
        Groups = [new ProfileGroup("aes-256-gcm", 2)],
        Status = AttachmentStatus.BindStarted,
    };

    [Fact]
    public void Candidates_are_tried_in_turn_and_a_device_tried_before_is_not_offered_again()
    {
        var placement = BindPlacement.Start.Found(["d1", "d2"], null).Next(out var first);
        placement = placement.Refused(first!, new Rejected(RejectReason.DeviceUnavailable, "d1 is disabled"));

        placement = placement.Found(["d1", "d2", "d3"], null).Next(out var second).Next(out var third).Next(out var none);

        Assert.Equal(("d1", "d2", "d3"), (first, second, third));
        Assert.Null(none);
        Assert.Null(BindPlacement.Start.Next(out _).Candidates);
        Assert.Null(placement.Ended().Candidates);
    }

    [Fact]
    public void Devices_that_were_full_are_asked_once_more_in_a_second_round_and_devices_that_did_not_answer_never()
    {
        var placement = BindPlacement.Start
            .Refused("full", new Rejected(RejectReason.NoCapacity, "full: no free queue pair"))
            .Refused("silent", new Rejected(RejectReason.Timeout, "silent did not answer"));
        Assert.True(placement.MayAskAgain);

        var again = placement.AskAgain();

        Assert.Equal(["silent"], again.Tried);
        Assert.Equal(2, again.Round);
        Assert.False(again.Refused("full", new Rejected(RejectReason.NoCapacity, "still full")).MayAskAgain);
        Assert.False(BindPlacement.Start.Refused("d", new Rejected(RejectReason.DeviceUnavailable, "off")).MayAskAgain);
    }

    [Fact]
    public void A_rebind_excludes_the_device_it_leaves_and_devices_it_owes_a_release_to()
    {
        var rebinding = Sealing with { Status = AttachmentStatus.Rebinding, DeviceId = "old", ReleasePending = ImmutableList.Create("owed") };

        Assert.Equal(["tried", "owed", "old"], BindPlacement.Start.Refused("tried", new Rejected(RejectReason.NoCapacity, "")).Exclusions(rebinding));
        Assert.Equal(["owed"], BindPlacement.Start.Exclusions(rebinding with { Status = AttachmentStatus.BindStarted }));
    }

    [Fact]
    public void A_failed_bind_says_what_was_wanted_where_and_the_last_refusal_or_why_nothing_matched()
    {
        var committed = Sealing with { Level = ServiceLevel.BestEffort with { CommittedOpsPerSecond = 1000 } };
        var refused = BindPlacement.Start.Refused("d1", new Rejected(RejectReason.NoCapacity, "d1 has 0 free"));

        Assert.Equal("no device on host h1 runs aes-256-gcm with 2 free queue pair(s) and 1000 ops/s not yet committed (last refusal: d1 has 0 free)",
            refused.NoDevice(committed, "h1"));
        Assert.Equal("no device on any host matches: no device has trait CUSTOM_X",
            BindPlacement.Start.Found([], "no device has trait CUSTOM_X").NoDevice(Sealing, null));
    }
}
