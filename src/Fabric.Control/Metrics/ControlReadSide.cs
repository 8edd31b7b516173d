using Fabric.Control.Attachments;
using Fabric.Control.Placement;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;

namespace Fabric.Control.Metrics;

/// <summary>
/// The fabric as the journal tells it, for gauges: the status of every attachment that is not deleted and the
/// devices with their health, maintenance switch and queue pairs. Pure: events in, counts out.
/// </summary>
public sealed class ControlReadSide
{
    private readonly Dictionary<string, AttachmentStatus> _attachments = new(StringComparer.Ordinal);
    private readonly CapacityIndex _devices = new();

    /// <summary>An event read from the journal; <paramref name="sequenceNr"/> is its number in its entity's journal.</summary>
    public void Apply(IFabricEvent e, long sequenceNr)
    {
        switch (e)
        {
            case AttachmentDeleted d:
                _attachments.Remove(d.AttachmentId);
                break;
            case IAttachmentEvent a:
                // The entity's own transition, so the gauge can never disagree with it.
                var before = _attachments.TryGetValue(a.AttachmentId, out var s) ? s : AttachmentStatus.Initial;
                _attachments[a.AttachmentId] = (AttachmentState.Empty(a.AttachmentId) with { Exists = true, Status = before }).Apply(e).Status;
                break;
            case IDeviceEvent:
                _devices.Apply(e, sequenceNr);
                break;
        }
    }

    public ControlCounts Counts()
    {
        var attachments = Enum.GetValues<AttachmentStatus>()
            .Where(s => s != AttachmentStatus.Deleted)
            .ToDictionary(s => s, _ => 0);
        foreach (var status in _attachments.Values)
        {
            attachments[status]++;
        }

        var devices = _devices.Devices;
        return new ControlCounts(
            attachments,
            devices.GroupBy(d => new DeviceGroup(d.Node, d.Health, d.Enabled)).ToDictionary(g => g.Key, g => g.Count()),
            devices.GroupBy(d => d.Node, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (g.Sum(d => d.Capacity), g.Sum(d => d.Reserved)), StringComparer.Ordinal));
    }
}

public readonly record struct DeviceGroup(string Host, DeviceHealth Health, bool Enabled);

/// <summary>Counts read from the journal at one moment.</summary>
public sealed record ControlCounts(
    IReadOnlyDictionary<AttachmentStatus, int> Attachments,
    IReadOnlyDictionary<DeviceGroup, int> Devices,
    IReadOnlyDictionary<string, (int Capacity, int Reserved)> QueuePairsByHost);
