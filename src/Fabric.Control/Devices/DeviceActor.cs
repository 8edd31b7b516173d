using Akka.Actor;
using Fabric.Control.Entities;
using Fabric.Control.Events;
using Fabric.Control.Placement;
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

    private readonly DeviceRates _rates;

    public DeviceActor(string deviceId, DeviceRates rates)
        : base(Shape(rates), deviceId, DeviceState.Empty(deviceId))
    {
        _rates = rates;
        Command<RegisterDevice>(cmd => Decide(cmd, State.Decide(cmd), View));
        Command<SetDeviceHealth>(cmd => Decide(cmd, State.Decide(cmd), View));
        Command<SetDeviceEnabled>(cmd => Decide(cmd, State.Decide(cmd), View));
        Command<SetDeviceTraits>(cmd => Decide(cmd, State.Decide(cmd), View));
        Command<ReserveCapacity>(cmd => Decide(cmd, State.Decide(cmd, Rates), state =>
            new CapacityReserved(cmd.AttachmentId, state.Holders[cmd.AttachmentId], View(state))));
        Command<CommitRates>(cmd => Decide(cmd, State.Decide(cmd, Rates), View));
        Command<ReleaseCapacity>(cmd =>
        {
            var held = State.Holders.GetValueOrDefault(cmd.AttachmentId);
            Decide(cmd, State.Decide(cmd), state => new CapacityReleased(cmd.AttachmentId, held, View(state)));
        });
        Command<GetDevice>(_ => ReplyWhenDurable(State.Registered
            ? View(State)
            : new Messages.Errors.Rejected(Messages.Errors.RejectReason.NotFound, $"device {EntityId} is not registered")));
    }

    /// <summary>
    /// Every bind and delete reserves or releases here, so requests queue at a device: they are decided while earlier
    /// writes are in flight, and a journal write carries all that arrived meanwhile.
    /// </summary>
    private static EntityShape<DeviceState> Shape(DeviceRates rates) => new(
        EntityTypes.Device, (state, e) => ReplyFor(state, e, rates), _ => Tags, PipelinesWrites: true);

    private static object ReplyFor(DeviceState state, IFabricEvent e, DeviceRates rates) => e switch
    {
        DeviceCapacityReserved r => new CapacityReserved(r.AttachmentId, r.QueuePairs, View(state, rates)),
        DeviceCapacityReleased r => new CapacityReleased(r.AttachmentId, r.QueuePairs, View(state, rates)),
        _ => View(state, rates),
    };

    private void Decide(IFabricCommand cmd, Decision decision, Func<DeviceState, object> reply)
    {
        if (!AnsweredBefore(cmd))
        {
            Answer(decision, reply);
        }
    }

    public static Props Props(string deviceId) => Props(deviceId, DeviceRates.Defaults);

    public static Props Props(string deviceId, DeviceRates rates) => Akka.Actor.Props.Create<DeviceActor>(deviceId, rates);

    /// <summary>What this device can commit (by its type and functions, which a registration may change).</summary>
    private RateCapacity Rates => State.RatesOf(_rates);

    private DeviceView View(DeviceState state) => View(state, _rates);

    private static DeviceView View(DeviceState state, DeviceRates rates) => state.ToView(state.RatesOf(rates));

    /// <summary>
    /// The revision is the journal's sequence number, also for a device whose snapshot predates revisions (it counted
    /// from 0 then): placement compares views by it with the journal's events.
    /// </summary>
    protected override DeviceState Recovered(DeviceState state, long lastSequenceNr) => state with { Revision = lastSequenceNr };

    protected override void OnPersisted(IFabricEvent e)
    {
        if (e is DeviceHealthChanged h)
        {
            FabricEventBus.Publish(Context.System, new DeviceHealthEvent(EntityId, State.Node, h.Health, h.Reason));
        }
    }
}
