using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
using Fabric.Control.Devices;
using Fabric.Control.Events;
using Fabric.Messages;
using Fabric.Messages.Placement;

namespace Fabric.Control.Placement;

/// <summary>
/// This node's read model of free capacity: follows the <c>device</c> tag of the journal through
/// Akka.Persistence.Query and answers placement queries from memory. Every control node runs its own.
/// The stream restarts with backoff from the last offset it read if the database goes away.
/// </summary>
public sealed class CapacityReadModel : ReceiveActor
{
    private readonly CapacityIndex _index;
    private readonly Random _random = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _readJournalId;
    private long _offset;
    private UniqueKillSwitch? _killSwitch;

    public CapacityReadModel(string readJournalId, DeviceRates rates)
    {
        _readJournalId = readJournalId;
        _index = new CapacityIndex(rates);
        Receive<EventEnvelope>(envelope =>
        {
            if (envelope.Event is IFabricEvent e)
            {
                _index.Apply(e, envelope.SequenceNr);
            }

            if (envelope.Offset is Sequence sequence && sequence.Value > _offset)
            {
                Interlocked.Exchange(ref _offset, sequence.Value);
            }
        });
        Receive<FindCandidates>(query => Sender.Tell(_index.Find(query, _random)));
        Receive<CapacityObserved>(observed => _index.Observe(observed.Device));
        Receive<DeviceRefused>(refused => _index.Refused(refused.DeviceId, refused.Reason));
        Receive<GetCapacity>(_ => Sender.Tell(new CapacitySnapshot(_index.Devices, _offset)));
    }

    public static Props Props(string readJournalId) => Props(readJournalId, DeviceRates.Defaults);

    public static Props Props(string readJournalId, DeviceRates rates) => Akka.Actor.Props.Create(() => new CapacityReadModel(readJournalId, rates));

    protected override void PreStart()
    {
        _killSwitch = TagStream.Follow(Context, _readJournalId, DeviceActor.Tag, () => Interlocked.Read(ref _offset));
        _log.Info("capacity read model following tag '{0}' of {1}", DeviceActor.Tag, _readJournalId);
    }

    protected override void PostStop() => _killSwitch?.Shutdown();
}
