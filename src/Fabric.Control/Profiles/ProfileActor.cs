using Akka.Actor;
using Fabric.Control.Entities;
using Fabric.Messages;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Fabric.Messages.Sharding;

namespace Fabric.Control.Profiles;

/// <summary>The <c>DeviceProfile</c> entity, one per profile name.</summary>
public sealed class ProfileActor : FabricEntity<ProfileState>
{
    /// <summary>Tag of profile creations and deletions: the profile index follows it.</summary>
    public const string IndexTag = "profile-index";

    // A profile has a handful of events (create, delete, again): replaying them costs less than a snapshot, and a snapshot
    // holds its request log's replies (views), whose shape grows (the project): Hyperion could not read an older one.
    private static readonly EntityShape<ProfileState> Shape = new(
        EntityTypes.Profile, (state, _) => state.ToView(), EntityShape<ProfileState>.Only(IndexTag, e => e is ProfileCreated or ProfileDeleted),
        TakesSnapshots: false);

    public ProfileActor(string name)
        : base(Shape, name, ProfileState.Empty(name))
    {
        Command<CreateProfile>(cmd =>
        {
            if (!AnsweredBefore(cmd))
            {
                Answer(State.Decide(cmd), state => state.ToView());
            }
        });
        Command<DeleteProfile>(cmd =>
        {
            if (!AnsweredBefore(cmd))
            {
                Answer(State.Decide(cmd), state => state.ToView());
            }
        });
        Command<GetProfile>(_ => Sender.Tell(State.Exists
            ? State.ToView()
            : new Rejected(RejectReason.NotFound, $"profile {EntityId} does not exist")));
    }

    public static Props Props(string name) => Akka.Actor.Props.Create<ProfileActor>(name);
}
