using Akka.Actor;
using Fabric.Control.Entities;
using Fabric.Control.Events;
using Fabric.Messages.Vim;
using Fabric.Messages;
using Fabric.Messages.Devices;
using Fabric.Messages.Sharding;

namespace Fabric.Control.Devices;

/// <summary>The <c>Device</c> entity: registration, health, and the single writer of its capacity.</summary>
public sealed class DeviceActor : FabricEntity<DeviceState>
{
    /// <summary>Tag of every device event: the capacity read model follows it.</summary>
    public const string Tag = "device";

    private static readonly IReadOnlySet<string> Tags = new HashSet<string> { Tag };

    public DeviceActor(string deviceId)
        : base(EntityTypes.Device, deviceId, DeviceState.Empty(deviceId))
    {
        Command<RegisterDevice>(cmd =>
        {
            if (!AnsweredBefore(cmd))
            {
                Carry(State.Decide(cmd), () => Sender.Tell(State.ToView()));
            }
        });
        Command<SetDeviceHealth>(cmd =>
        {
            if (!AnsweredBefore(cmd))
            {
                Carry(State.Decide(cmd), () => Sender.Tell(State.ToView()));
            }
        });
        Command<SetDeviceEnabled>(cmd =>
        {
            if (!AnsweredBefore(cmd))
            {
                Carry(State.Decide(cmd), () => Sender.Tell(State.ToView()));
            }
        });
        Command<ReserveCapacity>(cmd =>
        {
            if (!AnsweredBefore(cmd))
            {
                Carry(State.Decide(cmd), () =>
                    Sender.Tell(new CapacityReserved(cmd.AttachmentId, State.Holders[cmd.AttachmentId], State.ToView())));
            }
        });
        Command<ReleaseCapacity>(cmd =>
        {
            if (!AnsweredBefore(cmd))
            {
                var held = State.Holders.GetValueOrDefault(cmd.AttachmentId);
                Carry(State.Decide(cmd), () => Sender.Tell(new CapacityReleased(cmd.AttachmentId, held, State.ToView())));
            }
        });
        Command<GetDevice>(_ => Sender.Tell(State.Registered
            ? State.ToView()
            : new Messages.Errors.Rejected(Messages.Errors.RejectReason.NotFound, $"device {EntityId} is not registered")));
    }

    public static Props Props(string deviceId) => Akka.Actor.Props.Create<DeviceActor>(deviceId);

    protected override DeviceState Apply(DeviceState state, IFabricEvent e) => state.Apply(e);

    protected override void OnPersisted(IFabricEvent e)
    {
        if (e is DeviceHealthChanged h)
        {
            FabricEventBus.Publish(Context.System, new DeviceHealthEvent(EntityId, State.Node, h.Health, h.Reason));
        }
    }

    protected override RequestLog RequestsOf(DeviceState state) => state.Requests;

    protected override DeviceState WithRequests(DeviceState state, RequestLog requests) => state with { Requests = requests };

    protected override object ReplyFor(DeviceState state, IFabricEvent e) => e switch
    {
        DeviceCapacityReserved r => new CapacityReserved(r.AttachmentId, r.QueuePairs, state.ToView()),
        DeviceCapacityReleased r => new CapacityReleased(r.AttachmentId, r.QueuePairs, state.ToView()),
        _ => state.ToView(),
    };

    protected override IReadOnlySet<string> TagsOf(IFabricEvent e) => Tags;
}
