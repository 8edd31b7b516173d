using Fabric.Messages;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;

namespace Fabric.Control.Placement;

/// <summary>
/// Free capacity of every device as far as this node has read the journal (plus fresher hints from devices'
/// own answers). It only proposes: the <c>Device</c> entity accepts or refuses, so a stale index costs a retry,
/// never a double allocation.
/// </summary>
/// <remarks>
/// Facts about a device come from two sources that overtake each other: the journal's events (late, in order) and the
/// views in devices' answers (fresh, in any order, as attachments pass them on). Each carries the device's sequence
/// number, and the index keeps only what is newer than what it holds. Without that, a reservation read from the journal
/// after a view that already showed its release put the holder back, and the device looked full when it was not.
/// </remarks>
public sealed class CapacityIndex
{
    private readonly Dictionary<string, DeviceCapacity> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, int>> _holders = new(StringComparer.Ordinal);

    // The sequence number of the newest fact about each device this index holds.
    private readonly Dictionary<string, long> _revisions = new(StringComparer.Ordinal);

    // Devices that refused as unavailable (disabled or failed) before this index read why; any newer fact about one ends it.
    private readonly HashSet<string> _unavailable = new(StringComparer.Ordinal);

    // What registration said of each device, to derive its traits again when the operator's change.
    private readonly Dictionary<string, (string Type, IReadOnlyList<string>? Traits)> _hostFacts = new(StringComparer.Ordinal);

    // The operator's traits of each device: a registration (which carries the host's) keeps them.
    private readonly Dictionary<string, IReadOnlyList<string>> _customTraits = new(StringComparer.Ordinal);

    // Rates committed to each holder of each device (issue 19), and what devices can commit.
    private readonly Dictionary<string, Dictionary<string, (long Ops, long Bytes)>> _rates = new(StringComparer.Ordinal);
    private readonly DeviceRates _deviceRates;

    public CapacityIndex(DeviceRates? deviceRates = null)
    {
        _deviceRates = deviceRates ?? DeviceRates.Defaults;
    }

    public int Count => _devices.Count;

    public IReadOnlyList<DeviceCapacity> Devices => _devices.Values.OrderBy(d => d.DeviceId, StringComparer.Ordinal).ToArray();

    /// <summary>An event read from the journal, <paramref name="sequenceNr"/> its number in the device's journal.</summary>
    public void Apply(IFabricEvent e, long sequenceNr)
    {
        if (e is IDeviceEvent device)
        {
            if (sequenceNr <= _revisions.GetValueOrDefault(device.DeviceId))
            {
                // Already in a newer view from the device itself.
                return;
            }

            _revisions[device.DeviceId] = sequenceNr;
            _unavailable.Remove(device.DeviceId);
        }

        switch (e)
        {
            case DeviceRegistered r:
                var reserved = _devices.TryGetValue(r.DeviceId, out var known) ? known.Reserved : 0;
                _devices[r.DeviceId] = new DeviceCapacity(r.DeviceId, r.Node, r.Functions.ToArray(), r.CapacityQueuePairs, reserved,
                    known?.Health ?? DeviceHealth.Healthy, known?.Enabled ?? true,
                    DeviceTraits.Effective(r.Type, r.Functions, _hostFacts.GetValueOrDefault(r.DeviceId).Traits, _customTraits.GetValueOrDefault(r.DeviceId)),
                    DeviceTraits.ResourceClassesOf(r.Type));
                _devices[r.DeviceId] = WithRates(_devices[r.DeviceId], _deviceRates.For(r.Type, r.Functions));
                _hostFacts[r.DeviceId] = (r.Type, _hostFacts.GetValueOrDefault(r.DeviceId).Traits);
                break;
            case DeviceHostTraitsChanged h when _devices.TryGetValue(h.DeviceId, out var d):
                _hostFacts[h.DeviceId] = (_hostFacts.GetValueOrDefault(h.DeviceId).Type ?? "", h.Traits);
                _devices[h.DeviceId] = d with { Traits = DeviceTraits.Effective(_hostFacts[h.DeviceId].Type, d.Functions, h.Traits, _customTraits.GetValueOrDefault(h.DeviceId)) };
                break;
            case DeviceTraitsChanged t when _devices.TryGetValue(t.DeviceId, out var d):
                _customTraits[t.DeviceId] = t.CustomTraits;
                var (type, hostTraits) = _hostFacts.GetValueOrDefault(t.DeviceId, ("", null));
                _devices[t.DeviceId] = d with { Traits = DeviceTraits.Effective(type, d.Functions, hostTraits, t.CustomTraits) };
                break;
            case DeviceHealthChanged h when _devices.TryGetValue(h.DeviceId, out var d):
                _devices[h.DeviceId] = d with { Health = h.Health };
                break;
            case DeviceEnabledChanged en when _devices.TryGetValue(en.DeviceId, out var d):
                _devices[en.DeviceId] = d with { Enabled = en.Enabled };
                break;
            case DeviceCapacityReserved r when _devices.TryGetValue(r.DeviceId, out var d):
                HoldersOf(r.DeviceId)[r.AttachmentId] = r.QueuePairs;
                _devices[r.DeviceId] = d with { Reserved = HoldersOf(r.DeviceId).Values.Sum() };
                break;
            case DeviceCapacityReleased r when _devices.TryGetValue(r.DeviceId, out var d):
                HoldersOf(r.DeviceId).Remove(r.AttachmentId);
                RatesOf(r.DeviceId).Remove(r.AttachmentId);
                _devices[r.DeviceId] = WithRates(d with { Reserved = HoldersOf(r.DeviceId).Values.Sum() }, null);
                break;
            case DeviceRatesCommitted c when _devices.TryGetValue(c.DeviceId, out var d):
                RatesOf(c.DeviceId)[c.AttachmentId] = (c.Ops, c.Bytes);
                _devices[c.DeviceId] = WithRates(d, null);
                break;
        }
    }

    /// <summary>A device's own answer: exact at the moment it was given; ignored when the index holds a newer fact.</summary>
    public void Observe(DeviceView view)
    {
        if (view.Revision <= _revisions.GetValueOrDefault(view.DeviceId))
        {
            return;
        }

        _revisions[view.DeviceId] = view.Revision;
        _unavailable.Remove(view.DeviceId);
        _holders[view.DeviceId] = new Dictionary<string, int>(view.Holders, StringComparer.Ordinal);
        _customTraits[view.DeviceId] = view.CustomTraits ?? [];
        var traits = view.Traits ?? DeviceTraits.Effective(view.Type, view.Functions, _hostFacts.GetValueOrDefault(view.DeviceId).Traits, view.CustomTraits);
        var rates = RatesOf(view.DeviceId);
        rates.Clear();
        foreach (var id in (view.HeldOps?.Keys ?? []).Union(view.HeldBytes?.Keys ?? []))
        {
            rates[id] = (view.HeldOps?.GetValueOrDefault(id) ?? 0, view.HeldBytes?.GetValueOrDefault(id) ?? 0);
        }

        _devices[view.DeviceId] = WithRates(new DeviceCapacity(view.DeviceId, view.Node, view.Functions.ToArray(), view.CapacityQueuePairs, view.ReservedQueuePairs,
            view.Health, view.Enabled, traits, view.ResourceClasses ?? DeviceTraits.ResourceClassesOf(view.Type)), _deviceRates.For(view.Type, view.Functions));
    }

    /// <summary>A device refused a reservation: stop proposing it until newer facts (a higher sequence number) arrive.</summary>
    public void Refused(string deviceId, RejectReason reason)
    {
        if (!_devices.TryGetValue(deviceId, out var d))
        {
            return;
        }

        if (reason == RejectReason.DeviceUnavailable)
        {
            // Not a health fact: the device may be disabled, and an enable (not a health change) is what brings it back.
            _unavailable.Add(deviceId);
        }
        else if (reason == RejectReason.NoCapacity)
        {
            _devices[deviceId] = d with { Reserved = d.Capacity };
        }
    }

    /// <summary>Devices that could take the request: healthy before degraded, most free first, ties shuffled.</summary>
    public IReadOnlyList<string> Candidates(FindCandidates query, Random random) => Find(query, random).DeviceIds;

    /// <summary>
    /// <see cref="Candidates(FindCandidates, Random)"/>, and when none: why, if no device of the host matches the groups' traits
    /// and resource classes (Placement's "no allocation candidates", with the constraint named).
    /// </summary>
    public Candidates Find(FindCandidates query, Random random)
    {
        var exclude = new HashSet<string>(query.Exclude ?? [], StringComparer.Ordinal);
        var groups = query.Groups ?? [];
        var onHost = _devices.Values.Where(d => query.Host is null || d.Node == query.Host).ToArray();
        var ids = onHost
            .Where(d => d.Enabled && d.Health is DeviceHealth.Healthy or DeviceHealth.Degraded)
            .Where(d => !exclude.Contains(d.DeviceId) && !_unavailable.Contains(d.DeviceId))
            .Where(d => d.Capacity - d.Reserved >= query.QueuePairs)
            .Where(d => query.CommittedOps <= 0 || d.CommittedOps + query.CommittedOps <= d.CapacityOps)
            .Where(d => query.CommittedBytes <= 0 || d.CommittedBytes + query.CommittedBytes <= d.CapacityBytes)
            .Where(d => query.Functions.All(f => d.Functions.Contains(f)))
            .Where(d => TraitMatch.Mismatch(d, groups) is null)
            .Select(d => (Device: d, Tie: random.Next()))
            .OrderBy(x => x.Device.Health)
            .ThenByDescending(x => x.Device.Capacity - x.Device.Reserved)
            .ThenBy(x => x.Tie)
            .Select(x => x.Device.DeviceId)
            .ToArray();
        if (ids.Length > 0 || groups.Count == 0)
        {
            return new Candidates(ids);
        }

        var mismatches = onHost.Select(d => TraitMatch.Mismatch(d, groups)).ToArray();
        return mismatches.Length > 0 && mismatches.All(m => m is not null)
            ? new Candidates(ids, TraitMatch.Summary(mismatches!))
            : new Candidates(ids, onHost.Length == 0 ? "no device registered there" : null);
    }

    /// <summary>The device with its committed totals, and its capacity in rates when given (else the one it had).</summary>
    private DeviceCapacity WithRates(DeviceCapacity d, RateCapacity? capacity)
    {
        var rates = RatesOf(d.DeviceId).Values;
        return d with
        {
            CapacityOps = capacity?.Ops ?? d.CapacityOps,
            CapacityBytes = capacity?.Bytes ?? d.CapacityBytes,
            CommittedOps = rates.Sum(r => r.Ops),
            CommittedBytes = rates.Sum(r => r.Bytes),
        };
    }

    private Dictionary<string, (long Ops, long Bytes)> RatesOf(string deviceId)
    {
        if (!_rates.TryGetValue(deviceId, out var rates))
        {
            rates = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
            _rates[deviceId] = rates;
        }

        return rates;
    }

    private Dictionary<string, int> HoldersOf(string deviceId)
    {
        if (!_holders.TryGetValue(deviceId, out var holders))
        {
            holders = new Dictionary<string, int>(StringComparer.Ordinal);
            _holders[deviceId] = holders;
        }

        return holders;
    }
}
