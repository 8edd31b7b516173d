using System.Collections.Immutable;
using Fabric.Control.Entities;
using Fabric.Control.Placement;
using Fabric.Messages;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Functions;
using Fabric.Messages.Placement;

namespace Fabric.Control.Devices;

/// <summary>
/// One accelerator device: what it can do, how many queue pairs it has and who holds them. The device entity is
/// the only writer of this state, so a queue pair can never be given out twice. <see cref="Revision"/> counts the events
/// applied: it is the sequence number of the last one.
/// </summary>
public record DeviceState(
    string DeviceId,
    bool Registered,
    string Node,
    string Type,
    ImmutableSortedSet<string> Functions,
    int Capacity,
    ImmutableDictionary<string, int> Holders,
    DeviceHealth Health,
    string HealthReason,
    RequestLog Requests,
    bool Enabled = true,
    string DisabledReason = "",
    long Revision = 0) : IFabricMessage, IEntityState<DeviceState>
{
    /// <summary>What the host reported of the hardware; a <see cref="TraitedDeviceState"/> holds them (snapshots keep this record's shape).</summary>
    public virtual ImmutableSortedSet<string>? HostTraits => null;

    /// <summary>The operator's traits.</summary>
    public virtual ImmutableSortedSet<string>? CustomTraits => null;

    /// <summary>Ops/s committed to each holder that has some; a <see cref="RatedDeviceState"/> holds them.</summary>
    public virtual ImmutableDictionary<string, long>? OpsHeld => null;

    /// <summary>Payload bytes/s committed to each holder that has some.</summary>
    public virtual ImmutableDictionary<string, long>? BytesHeld => null;

    public long CommittedOps => OpsHeld?.Values.Sum() ?? 0;

    public long CommittedBytes => BytesHeld?.Values.Sum() ?? 0;

    public const int MaxCapacity = 65536;
    public const int MaxTraits = 64;

    public static DeviceState Empty(string deviceId) => new(
        deviceId, false, "", "", ImmutableSortedSet<string>.Empty, 0,
        ImmutableDictionary<string, int>.Empty, DeviceHealth.Healthy, "", RequestLog.Empty);

    public int Reserved => Holders.Values.Sum();

    public int Free => Capacity - Reserved;

    public bool Available => Enabled && Health is DeviceHealth.Healthy or DeviceHealth.Degraded;

    /// <summary>Every trait placement matches (<see cref="DeviceTraits.Effective"/>).</summary>
    public IReadOnlyList<string> Traits => DeviceTraits.Effective(Type, Functions, HostTraits, CustomTraits);

    /// <summary>The view; with <paramref name="rates"/> (what the device can commit) it shows committed against capacity.</summary>
    public DeviceView ToView(RateCapacity? rates = null)
    {
        var holders = Holders.ToImmutableSortedDictionary(StringComparer.Ordinal);
        var custom = (CustomTraits ?? []).ToArray();
        return rates is null
            ? new TraitedDeviceView(DeviceId, Node, Type, Functions.ToArray(), Capacity, Reserved, Health, HealthReason, holders, Enabled, Revision,
                Traits, custom, DeviceTraits.ResourceClassesOf(Type))
            : new RatedDeviceView(DeviceId, Node, Type, Functions.ToArray(), Capacity, Reserved, Health, HealthReason, holders, Enabled, Revision,
                Traits, custom, DeviceTraits.ResourceClassesOf(Type), rates.Ops, rates.Bytes,
                (OpsHeld ?? ImmutableDictionary<string, long>.Empty).ToImmutableSortedDictionary(StringComparer.Ordinal),
                (BytesHeld ?? ImmutableDictionary<string, long>.Empty).ToImmutableSortedDictionary(StringComparer.Ordinal));
    }

    /// <summary>What this device can commit, by the configuration.</summary>
    public RateCapacity RatesOf(DeviceRates rates) => rates.For(Type, Functions);

    public Decision Decide(RegisterDevice cmd)
    {
        if (string.IsNullOrWhiteSpace(cmd.Node) || string.IsNullOrWhiteSpace(cmd.Type))
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"device {cmd.DeviceId}: node and type are required");
        }

        if (cmd.DeviceId != $"{cmd.Node}/{DeviceNamePart(cmd.DeviceId)}" || DeviceNamePart(cmd.DeviceId).Length == 0)
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"device id '{cmd.DeviceId}' must be '{cmd.Node}/<device>'");
        }

        if (cmd.CapacityQueuePairs is < 1 or > MaxCapacity)
        {
            return Decision.Reject(RejectReason.InvalidArgument,
                $"device {cmd.DeviceId}: capacity must be 1..{MaxCapacity} queue pairs, was {cmd.CapacityQueuePairs}");
        }

        // A PCI device (VFs handed to VMs whole) may run no Fabric function: it is matched by its traits.
        var pci = cmd.Traits?.Contains(DeviceTraits.OfAttach(DeviceTraits.PciAttach)) == true;
        if (cmd.Functions is null || (cmd.Functions.Count == 0 && !pci))
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"device {cmd.DeviceId}: at least one function is required");
        }

        var unknown = cmd.Functions.Where(f => !AccelerationFunctions.All.Contains(f)).ToArray();
        if (unknown.Length > 0)
        {
            return Decision.Reject(RejectReason.UnknownFunction,
                $"device {cmd.DeviceId}: unknown function(s) {string.Join(", ", unknown)}; known: {string.Join(", ", AccelerationFunctions.All)}");
        }

        var badTrait = (cmd.Traits ?? []).FirstOrDefault(t => !DeviceTraits.IsTraitName(t));
        if (badTrait is not null || cmd.Traits?.Count > MaxTraits)
        {
            return Decision.Reject(RejectReason.InvalidArgument, badTrait is not null
                ? $"device {cmd.DeviceId}: '{badTrait}' is not a trait name (A-Z, 0-9 and _, at most {DeviceTraits.MaxNameLength})"
                : $"device {cmd.DeviceId}: at most {MaxTraits} traits");
        }

        if (Registered && cmd.CapacityQueuePairs < Reserved)
        {
            return Decision.Reject(RejectReason.IllegalState,
                $"device {cmd.DeviceId}: {Reserved} queue pairs are held; capacity cannot drop to {cmd.CapacityQueuePairs}");
        }

        var functions = cmd.Functions.ToImmutableSortedSet(StringComparer.Ordinal);
        var missing = Holders.Count > 0 ? Functions.Except(functions) : ImmutableSortedSet<string>.Empty;
        if (missing.Count > 0)
        {
            return Decision.Reject(RejectReason.IllegalState,
                $"device {cmd.DeviceId}: attachments hold it; function(s) {string.Join(", ", missing)} cannot be withdrawn");
        }

        var hostTraits = (cmd.Traits ?? []).ToImmutableSortedSet(StringComparer.Ordinal);
        var events = new List<IFabricEvent>();
        if (!Registered || Node != cmd.Node || Type != cmd.Type || Capacity != cmd.CapacityQueuePairs || !Functions.SetEquals(functions))
        {
            events.Add(new DeviceRegistered(cmd.DeviceId, cmd.Node, cmd.Type, functions.ToArray(), cmd.CapacityQueuePairs, cmd.RequestId));
        }

        // A host that says nothing of traits (an older version) leaves the ones it reported before.
        if (cmd.Traits is not null && !(HostTraits ?? []).SetEquals(hostTraits))
        {
            events.Add(new DeviceHostTraitsChanged(cmd.DeviceId, hostTraits.ToArray(), cmd.RequestId));
        }

        // A node that registers its device again is back: a device lost with its node is healthy again.
        if (Registered && Health == DeviceHealth.Lost)
        {
            events.Add(new DeviceHealthChanged(cmd.DeviceId, DeviceHealth.Healthy, "registered again by its node", cmd.RequestId));
        }

        return new Decision(events, null);
    }

    public Decision Decide(SetDeviceHealth cmd)
    {
        if (!Registered)
        {
            return NotRegistered();
        }

        if (!Enum.IsDefined(cmd.Health))
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"device {DeviceId}: unknown health value {(int)cmd.Health}");
        }

        return Health == cmd.Health && HealthReason == (cmd.Reason ?? "")
            ? Decision.Unchanged
            : Decision.Persist(new DeviceHealthChanged(DeviceId, cmd.Health, cmd.Reason ?? "", cmd.RequestId));
    }

    /// <summary>A reservation: queue pairs, and the rates it commits (refused when they would oversell <paramref name="rates"/>).</summary>
    public Decision Decide(ReserveCapacity cmd, RateCapacity? rates = null)
    {
        if (!Registered)
        {
            return NotRegistered();
        }

        if (Holders.ContainsKey(cmd.AttachmentId))
        {
            return Decision.Unchanged;
        }

        if (string.IsNullOrWhiteSpace(cmd.AttachmentId) || cmd.QueuePairs < 1)
        {
            return Decision.Reject(RejectReason.InvalidArgument,
                $"device {DeviceId}: a reservation needs an attachment id and at least one queue pair");
        }

        if (!Available)
        {
            return Decision.Reject(RejectReason.DeviceUnavailable, Enabled
                ? $"device {DeviceId} is {Health}: {HealthReason}"
                : $"device {DeviceId} is disabled for maintenance: {DisabledReason}");
        }

        var unsupported = (cmd.Functions ?? []).Where(f => !Functions.Contains(f)).ToArray();
        if (unsupported.Length > 0)
        {
            return Decision.Reject(RejectReason.FunctionNotSupported,
                $"device {DeviceId} does not run {string.Join(", ", unsupported)}");
        }

        if (Free < cmd.QueuePairs)
        {
            return Decision.Reject(RejectReason.NoCapacity,
                $"device {DeviceId}: {Free} of {Capacity} queue pairs free, {cmd.QueuePairs} asked");
        }

        if (cmd.CommittedOps < 0 || cmd.CommittedBytes < 0)
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"device {DeviceId}: committed rates cannot be negative");
        }

        if (Oversold(cmd.AttachmentId, cmd.CommittedOps, cmd.CommittedBytes, rates) is { } oversold)
        {
            return Decision.Reject(RejectReason.NoCapacity, oversold);
        }

        var reserved = new DeviceCapacityReserved(DeviceId, cmd.AttachmentId, cmd.QueuePairs, cmd.RequestId);
        // The rates first: a command's reply is the state after its last event, a reservation's CapacityReserved.
        return cmd.CommittedOps > 0 || cmd.CommittedBytes > 0
            ? Decision.Persist(new DeviceRatesCommitted(DeviceId, cmd.AttachmentId, cmd.CommittedOps, cmd.CommittedBytes, cmd.RequestId), reserved)
            : Decision.Persist(reserved);
    }

    /// <summary>New rates for a holder (a service level changed on a running attachment); its old rates count as free.</summary>
    public Decision Decide(CommitRates cmd, RateCapacity? rates = null)
    {
        if (!Registered)
        {
            return NotRegistered();
        }

        if (cmd.Ops < 0 || cmd.Bytes < 0)
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"device {DeviceId}: committed rates cannot be negative");
        }

        if (!Holders.ContainsKey(cmd.AttachmentId ?? ""))
        {
            return Decision.Reject(RejectReason.IllegalState, $"device {DeviceId}: attachment {cmd.AttachmentId} holds nothing here; bind it first");
        }

        if (OpsHeld?.GetValueOrDefault(cmd.AttachmentId!) == cmd.Ops && BytesHeld?.GetValueOrDefault(cmd.AttachmentId!) == cmd.Bytes
            || (cmd.Ops == 0 && cmd.Bytes == 0 && OpsHeld?.ContainsKey(cmd.AttachmentId!) != true && BytesHeld?.ContainsKey(cmd.AttachmentId!) != true))
        {
            return Decision.Unchanged;
        }

        return Oversold(cmd.AttachmentId!, cmd.Ops, cmd.Bytes, rates) is { } oversold
            ? Decision.Reject(RejectReason.NoCapacity, oversold)
            : Decision.Persist(new DeviceRatesCommitted(DeviceId, cmd.AttachmentId!, cmd.Ops, cmd.Bytes, cmd.RequestId));
    }

    /// <summary>Why committing these rates to <paramref name="attachmentId"/> would oversell the device, or null (the holder's own count as free).</summary>
    public string? Oversold(string attachmentId, long ops, long bytes, RateCapacity? rates)
    {
        if (rates is null)
        {
            return null;
        }

        var otherOps = CommittedOps - (OpsHeld?.GetValueOrDefault(attachmentId) ?? 0);
        var otherBytes = CommittedBytes - (BytesHeld?.GetValueOrDefault(attachmentId) ?? 0);
        if (ops > 0 && otherOps + ops > rates.Ops)
        {
            return $"device {DeviceId}: {otherOps} of {rates.Ops} ops/s are committed to others, {ops} more would oversell it";
        }

        return bytes > 0 && otherBytes + bytes > rates.Bytes
            ? $"device {DeviceId}: {otherBytes} of {rates.Bytes} bytes/s are committed to others, {bytes} more would oversell it"
            : null;
    }

    /// <summary>Operator traits: Placement's custom trait names; <c>CUSTOM_FABRIC_*</c> are Fabric's own and derived, never set.</summary>
    public Decision Decide(SetDeviceTraits cmd)
    {
        if (!Registered)
        {
            return NotRegistered();
        }

        var named = (cmd.Add ?? []).Concat(cmd.Remove ?? []).ToArray();
        var bad = named.FirstOrDefault(t => !DeviceTraits.IsCustomTrait(t) || t.StartsWith(DeviceTraits.FabricPrefix, StringComparison.Ordinal));
        if (bad is not null)
        {
            return Decision.Reject(RejectReason.InvalidArgument, DeviceTraits.IsCustomTrait(bad)
                ? $"device {DeviceId}: {DeviceTraits.FabricPrefix}* traits are Fabric's own (functions, type, hardware); choose another name than '{bad}'"
                : $"device {DeviceId}: '{bad}' is not a custom trait: CUSTOM_ followed by A-Z, 0-9 and _, at most {DeviceTraits.MaxNameLength} characters");
        }

        if (named.Length == 0)
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"device {DeviceId}: name a trait to add or remove");
        }

        var current = CustomTraits ?? ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
        var next = current.Union(cmd.Add ?? []).Except(cmd.Remove ?? []);
        if (next.Count > MaxTraits)
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"device {DeviceId}: at most {MaxTraits} operator traits");
        }

        return next.SetEquals(current) ? Decision.Unchanged : Decision.Persist(new DeviceTraitsChanged(DeviceId, next.ToArray(), cmd.RequestId));
    }

    public Decision Decide(SetDeviceEnabled cmd) =>
        !Registered ? NotRegistered()
        : Enabled == cmd.Enabled ? Decision.Unchanged
        : Decision.Persist(new DeviceEnabledChanged(DeviceId, cmd.Enabled, cmd.Reason ?? "", cmd.RequestId));

    public Decision Decide(ReleaseCapacity cmd) =>
        !Registered ? NotRegistered()
        : Holders.TryGetValue(cmd.AttachmentId, out var held)
            ? Decision.Persist(new DeviceCapacityReleased(DeviceId, cmd.AttachmentId, held, cmd.RequestId))
            : Decision.Unchanged;

    public DeviceState WithRequests(RequestLog requests) => this with { Requests = requests };

    public DeviceState Apply(IFabricEvent e) => Change(e) with { Revision = Revision + 1 };

    private DeviceState Change(IFabricEvent e) => e switch
    {
        DeviceRegistered r => this with
        {
            Registered = true,
            Node = r.Node,
            Type = r.Type,
            Functions = r.Functions.ToImmutableSortedSet(StringComparer.Ordinal),
            Capacity = r.CapacityQueuePairs,
        },
        DeviceHostTraitsChanged h => WithTraits(h.Traits.ToImmutableSortedSet(StringComparer.Ordinal), CustomTraits),
        DeviceTraitsChanged t => WithTraits(HostTraits, t.CustomTraits.ToImmutableSortedSet(StringComparer.Ordinal)),
        DeviceHealthChanged h => this with { Health = h.Health, HealthReason = h.Reason },
        DeviceEnabledChanged en => this with { Enabled = en.Enabled, DisabledReason = en.Enabled ? "" : en.Reason },
        DeviceCapacityReserved r => this with { Holders = Holders.SetItem(r.AttachmentId, r.QueuePairs) },
        DeviceCapacityReleased r => (OpsHeld?.ContainsKey(r.AttachmentId) == true || BytesHeld?.ContainsKey(r.AttachmentId) == true
            ? WithRates(r.AttachmentId, 0, 0)
            : this) with { Holders = Holders.Remove(r.AttachmentId) },
        DeviceRatesCommitted c => WithRates(c.AttachmentId, c.Ops, c.Bytes),
        _ => this,
    };

    /// <summary>This state with other traits; a <see cref="RatedDeviceState"/> keeps its rates.</summary>
    protected virtual DeviceState WithTraits(ImmutableSortedSet<string>? host, ImmutableSortedSet<string>? custom) =>
        new TraitedDeviceState(this, host, custom);

    private DeviceState WithRates(string attachmentId, long ops, long bytes)
    {
        static ImmutableDictionary<string, long> Set(ImmutableDictionary<string, long>? held, string id, long rate) =>
            rate > 0 ? (held ?? ImmutableDictionary<string, long>.Empty).SetItem(id, rate) : (held ?? ImmutableDictionary<string, long>.Empty).Remove(id);

        return new RatedDeviceState(this, HostTraits, CustomTraits, Set(OpsHeld, attachmentId, ops), Set(BytesHeld, attachmentId, bytes));
    }

    private Decision NotRegistered() =>
        Decision.Reject(RejectReason.NotFound, $"device {DeviceId} is not registered");

    private static string DeviceNamePart(string deviceId)
    {
        var slash = deviceId.LastIndexOf('/');
        return slash < 0 ? "" : deviceId[(slash + 1)..];
    }
}
