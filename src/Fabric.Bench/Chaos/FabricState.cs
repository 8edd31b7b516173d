using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Vim.Client;

namespace Fabric.Bench.Chaos;

/// <summary>
/// The whole state a VIM can see: every live attachment and every device, read through the gateway. Two states
/// are compared field by field; a drill states what may change (the devices of a killed compute node become
/// <c>Lost</c>, the attachments bound to them <c>Failed</c>) and everything else must be equal.
/// </summary>
public sealed record FabricState(IReadOnlyDictionary<string, AttachmentView> Attachments, IReadOnlyDictionary<string, DeviceView> Devices)
{
    /// <summary>
    /// Reads the state, retrying while the fabric is still recovering, until <paramref name="timeout"/>. Lists come
    /// from read models that follow the journal a moment behind (a node just started replays it from the start): the
    /// read is repeated until it holds every attachment in <paramref name="mustInclude"/> (ones known to exist) and at
    /// least <paramref name="devices"/> devices.
    /// </summary>
    public static async Task<FabricState> ReadAsync(FabricVimClient vim, IReadOnlyCollection<string> mustInclude, int devices, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var attachments = (await vim.ListAttachments(null)).ToDictionary(a => a.AttachmentId);
                var listed = await vim.ListDevices(null);
                var missing = mustInclude.Where(id => !attachments.ContainsKey(id)).ToArray();
                if (missing.Length == 0 && listed.Count >= devices)
                {
                    return new FabricState(attachments, listed.ToDictionary(d => d.DeviceId));
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"the lists are still short after {timeout.TotalSeconds:0} s: {listed.Count} of {devices} devices, attachments missing: {string.Join(", ", missing)}");
                }
            }
            catch (Exception ex) when (ex is FabricUnreachableException or FabricRejectedException && DateTime.UtcNow < deadline)
            {
            }

            await Task.Delay(250);
        }
    }

    /// <summary>This state as it must look after the compute role of <paramref name="node"/> is lost.</summary>
    public FabricState AfterNodeLost(string node)
    {
        var lostDevices = Devices.Values.Where(d => d.Node == node).Select(d => d.DeviceId).ToHashSet();
        return new FabricState(
            Attachments.ToDictionary(
                a => a.Key,
                a => a.Value.DeviceId is { } device && lostDevices.Contains(device) && a.Value.Status is AttachmentStatus.Bound or AttachmentStatus.Attached
                    ? a.Value with { Status = AttachmentStatus.Failed, Handle = null, FailureReason = null }
                    : a.Value),
            Devices.ToDictionary(
                d => d.Key,
                d => lostDevices.Contains(d.Key) ? d.Value with { Health = DeviceHealth.Lost } : d.Value));
    }

    /// <summary>
    /// Differences from <paramref name="expected"/>, one line each, over what <paramref name="expected"/> holds (work
    /// started after it was read is not compared). Failure messages are compared by kind (a lost node's message
    /// names how it was lost), everything else exactly.
    /// </summary>
    public IReadOnlyList<string> DifferencesFrom(FabricState expected)
    {
        var differences = new List<string>();
        foreach (var (id, want) in expected.Attachments)
        {
            if (!Attachments.TryGetValue(id, out var got))
            {
                differences.Add($"attachment {id}: missing (was {want.Status})");
                continue;
            }

            var same = got.Status == want.Status && got.DeviceId == want.DeviceId && got.Host == want.Host && got.VmId == want.VmId
                && got.Profile == want.Profile && got.Groups.SequenceEqual(want.Groups) && got.DeviceFunctions.SequenceEqual(want.DeviceFunctions)
                && Equals(got.Handle, want.Handle)
                && (want.Status != AttachmentStatus.Failed || (got.FailureMessage ?? "").StartsWith("NodeLost", StringComparison.Ordinal) || got.FailureMessage == want.FailureMessage);
            if (!same)
            {
                differences.Add($"attachment {id}: {Describe(got)}, expected {Describe(want)}");
            }
        }

        foreach (var (id, want) in expected.Devices)
        {
            if (!Devices.TryGetValue(id, out var got))
            {
                differences.Add($"device {id}: missing");
                continue;
            }

            // Load that ran meanwhile may hold other queue pairs of the device: compare the holders this state knows.
            var holders = got.Holders.Where(h => expected.Attachments.ContainsKey(h.Key)).ToDictionary();
            var wanted = want.Holders.Where(h => expected.Attachments.ContainsKey(h.Key)).ToDictionary();
            var same = got.Health == want.Health && got.CapacityQueuePairs == want.CapacityQueuePairs
                && got.Enabled == want.Enabled && got.Functions.SequenceEqual(want.Functions)
                && holders.Count == wanted.Count && holders.All(h => wanted.TryGetValue(h.Key, out var qp) && qp == h.Value);
            if (!same)
            {
                differences.Add($"device {id}: {got.Health}, holding [{string.Join(", ", holders.Keys.Order())}], expected {want.Health}, holding [{string.Join(", ", wanted.Keys.Order())}]");
            }
        }

        differences.AddRange(Devices.Keys.Except(expected.Devices.Keys).Select(id => $"device {id}: appeared"));
        return differences;
    }

    /// <summary>
    /// Capacity books: every live attachment bound to a device is among its holders, and every holder is such an
    /// attachment. A holder the (lagging) attachment list does not show yet is looked up by <paramref name="lookUp"/>.
    /// </summary>
    public async Task<IReadOnlyList<string>> BookErrorsAsync(Func<string, Task<AttachmentView?>> lookUp)
    {
        var errors = new List<string>();
        foreach (var device in Devices.Values)
        {
            var bound = Attachments.Values
                .Where(a => a.DeviceId == device.DeviceId && a.Status is AttachmentStatus.Bound or AttachmentStatus.Attached or AttachmentStatus.Failed)
                .Select(a => a.AttachmentId)
                .ToHashSet();
            foreach (var holder in device.Holders.Keys.Where(h => !Attachments.ContainsKey(h)))
            {
                var view = await lookUp(holder);
                if (view is { Status: AttachmentStatus.Bound or AttachmentStatus.Attached or AttachmentStatus.Failed } && view.DeviceId == device.DeviceId)
                {
                    bound.Add(holder);
                }
            }

            if (!bound.SetEquals(device.Holders.Keys))
            {
                errors.Add($"device {device.DeviceId}: holders [{string.Join(", ", device.Holders.Keys.Order())}] but bound attachments [{string.Join(", ", bound.Order())}]");
            }

            if (device.Holders.Values.Sum() != device.ReservedQueuePairs || device.ReservedQueuePairs > device.CapacityQueuePairs)
            {
                errors.Add($"device {device.DeviceId}: reserved {device.ReservedQueuePairs} of {device.CapacityQueuePairs}, holders add up to {device.Holders.Values.Sum()}");
            }
        }

        return errors;
    }

    private static string Describe(AttachmentView a) => $"{a.Status} on {a.DeviceId ?? "-"}";
}
