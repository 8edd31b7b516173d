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
    public ProfileActor(string name)
        : base(EntityTypes.Profile, name, ProfileState.Empty(name))
    {
        Command<CreateProfile>(cmd =>
        {
            if (!AnsweredBefore(cmd))
            {
                Carry(State.Decide(cmd), () => Sender.Tell(State.ToView()));
            }
        });
        Command<DeleteProfile>(cmd =>
        {
            if (!AnsweredBefore(cmd))
            {
                Carry(State.Decide(cmd), () => Sender.Tell(State.ToView()));
            }
        });
        Command<GetProfile>(_ => Sender.Tell(State.Exists
            ? State.ToView()
            : new Rejected(RejectReason.NotFound, $"profile {EntityId} does not exist")));
    }

    public static Props Props(string name) => Akka.Actor.Props.Create<ProfileActor>(name);

    // A profile has a handful of events (create, delete, again): replaying them costs less than a snapshot, and a snapshot
    // holds its request log's replies (views), whose shape grows (the project): Hyperion could not read an older one.
    protected override bool TakesSnapshots => false;

    protected override ProfileState Apply(ProfileState state, IFabricEvent e) => state.Apply(e);

    protected override RequestLog RequestsOf(ProfileState state) => state.Requests;

    protected override ProfileState WithRequests(ProfileState state, RequestLog requests) => state with { Requests = requests };

    protected override object ReplyFor(ProfileState state, IFabricEvent e) => state.ToView();

    /// <summary>Tag of profile creations and deletions: the profile index follows it.</summary>
    public const string IndexTag = "profile-index";

    private static readonly IReadOnlySet<string> IndexTags = new HashSet<string> { IndexTag };

    protected override IReadOnlySet<string> TagsOf(IFabricEvent e) =>
        e is ProfileCreated or ProfileDeleted ? IndexTags : base.TagsOf(e);
}
