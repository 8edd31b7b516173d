using System.Collections.Concurrent;
using Fabric.Api.Hosting;
using Fabric.Api.Http;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Vim.Client;

namespace Fabric.Api.Requests;

/// <summary>
/// Binds, unbinds and deletes ARQs. A bind is checked whole and recorded before the 202: each ARQ moves to a binding for
/// its instance, and that attachment journals the bind request (host, resource provider, project) in the fabric. The fabric
/// then binds and realizes the instance's accelerators on the host in the background (the node agent's VM spawn: device
/// reservation, channel, AC queue, attach handle), and Nova is told; the attachment journals that the outcome was reported.
/// A bind whose fabric-api stopped on the way is taken up by any fabric-api's <see cref="Sweep"/>: realized again (the node
/// agent answers a realized one as it is) or reported. Anything refused is refused before a change: nothing is half done.
/// </summary>
public sealed class Binder(FabricConnection fabric, ArqStore store, InstanceLocks locks, BindNotifier notifier, BindGate gate, ILogger<Binder> log)
    : IHostedService
{
    // Attachments whose bind this process drives now: the sweep leaves them alone.
    private readonly ConcurrentDictionary<string, byte> _driving = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Binds under way finish (or the host's shutdown timeout ends the wait); one cut short is resumed by a sweep.</summary>
    public async Task StopAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(_running.Keys).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);

    public async Task Bind(IReadOnlyDictionary<string, BindFields?> requests, Microversion version, CancellationToken cancellation)
    {
        var binds = requests.ToDictionary(r => r.Key, r => r.Value!, StringComparer.Ordinal);
        var computeNodes = (await fabric.Vim.Info()).ComputeNodes;
        foreach (var host in binds.Values.Select(f => f.Host).Distinct().Where(h => !computeNodes.Contains(h)))
        {
            throw ApiError.BadRequest($"Couldn't apply patch. Reason: no compute node named '{host}' is in the fabric; compute nodes: {(computeNodes.Count == 0 ? "none" : string.Join(", ", computeNodes))}");
        }

        await CheckResourceProviders(binds.Values);
        foreach (var instance in binds.Values.GroupBy(f => f.Instance).Where(g => g.Select(f => f.Host).Distinct().Count() > 1))
        {
            throw ApiError.BadRequest($"Couldn't apply patch. Reason: the accelerator requests of instance {instance.Key} name more than one host ({string.Join(", ", instance.Select(f => f.Host).Distinct())})");
        }

        var held = await locks.Acquire(binds.Values.Select(f => f.Instance), cancellation);
        var handedOver = false;
        try
        {
            // Checked under the instances' locks: no other bind of this process can slip in between check and change.
            var arqs = new List<(Arq Arq, BindFields Fields)>();
            foreach (var (uuid, fields) in binds)
            {
                var arq = await store.Find(uuid) ?? throw ApiError.NotFound($"ARQ not found with uuid {uuid}");
                if (arq.Assigned)
                {
                    throw ApiError.Conflict($"Bad state: {ArqStates.StateOf(arq)} for ARQ: {uuid}. Expected state(s): ['{ArqStates.Initial}', '{ArqStates.Unbound}']");
                }

                arqs.Add((arq, fields));
            }

            foreach (var instance in arqs.GroupBy(a => a.Fields.Instance))
            {
                var existing = await store.List(instance.Key);
                if (existing.Count == 0)
                {
                    continue;
                }

                if (version < Microversion.HotAdd)
                {
                    throw ApiError.BadRequest($"Couldn't apply patch. Reason: Instance {instance.Key} already has accelerator requests. Cannot bind additional ARQs. "
                        + $"(Fabric binds more to a running instance, hot-add, from microversion {Microversion.HotAdd}.)");
                }

                var host = instance.First().Fields.Host;
                var elsewhere = existing.Select(a => a.View.Host ?? a.View.BindRequest?.Host).OfType<string>().Distinct().Where(h => h != host).ToArray();
                if (elsewhere.Length > 0)
                {
                    throw ApiError.Conflict($"instance {instance.Key} has its accelerators on {string.Join(", ", elsewhere)}; a hot-add binds on that host, not {host}");
                }
            }

            var moved = new List<(Arq Arq, BindFields Fields)>();
            Arq? fresh = null;
            try
            {
                foreach (var (arq, fields) in arqs)
                {
                    // The new binding journals its bind request before the old one goes: an interrupted step leaves the old
                    // binding (Find deletes the newer one's elder), a recorded bind, or briefly an unrecorded one (a sweep fails it).
                    fresh = await store.Successor(arq, fields.Instance);
                    var recorded = await fabric.Vim.Request<AttachmentView>(
                        new RequestBind(fresh.AttachmentId, fields.Host, fields.DeviceRpUuid, fields.Project, FabricVimClient.NewRequestId()));
                    await store.DeleteBinding(arq);
                    moved.Add((fresh with { View = recorded }, fields));
                    fresh = null;
                }
            }
            catch
            {
                if (fresh is not null)
                {
                    await TryDeleteBinding(fresh);
                }

                await Rollback(moved.Select(m => m.Arq));
                throw;
            }

            foreach (var (arq, _) in moved)
            {
                _driving[arq.AttachmentId] = 0;
            }

            foreach (var instance in moved.GroupBy(m => m.Fields.Instance))
            {
                var instanceLock = held[instance.Key];
                var arqsOfInstance = instance.Select(m => m.Arq).ToArray();
                var job = Task.Run(async () =>
                {
                    try
                    {
                        await gate.BeforeSpawn(instance.Key);
                        await Realize(instance.Key, instance.First().Fields.Host, arqsOfInstance);
                    }
                    finally
                    {
                        instanceLock.Dispose();
                    }
                }, CancellationToken.None);
                _running[job] = 0;
                _ = job.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
            }

            handedOver = true;
        }
        finally
        {
            if (!handedOver)
            {
                foreach (var releaser in held.Values)
                {
                    releaser.Dispose();
                }
            }
        }
    }

    /// <summary>
    /// The background half of a bind: the host's node agent binds and realizes the accelerators; Nova is told how it ended
    /// and the attachments journal that it was. When the fabric does not answer, nothing is concluded: a sweep takes it up.
    /// </summary>
    private async Task Realize(string instance, string host, IReadOnlyList<Arq> arqs)
    {
        foreach (var arq in arqs)
        {
            _driving[arq.AttachmentId] = 0;
        }

        var outcomes = new List<(string Arq, bool Completed)>();
        try
        {
            try
            {
                var realized = await fabric.Vim.SpawnVm(instance, host, arqs.Select(a => new VmAccelerator(a.AttachmentId, null)).ToArray());
                var attached = realized.Attachments.Where(v => v.Status == AttachmentStatus.Attached).Select(v => v.AttachmentId).ToHashSet();
                outcomes.AddRange(arqs.Select(a => (a.Uuid, attached.Contains(a.AttachmentId))));
                log.LogInformation("instance {Instance}: {Count} accelerator request(s) bound on {Host}", instance, arqs.Count, host);
            }
            catch (FabricRejectedException ex)
            {
                log.LogWarning("instance {Instance}: bind on {Host} failed: {Reason}", instance, host, ex.Rejected.Message);
                await MarkFailed(arqs, ex.Rejected.Message);
                outcomes.AddRange(arqs.Select(a => (a.Uuid, false)));
            }
        }
        catch (Exception ex)
        {
            log.LogWarning("instance {Instance}: the bind on {Host} was cut short ({Problem}); a sweep of a fabric-api takes it up", instance, host, ex.Message);
            return;
        }
        finally
        {
            foreach (var arq in arqs)
            {
                _driving.TryRemove(arq.AttachmentId, out _);
            }
        }

        await gate.BeforeReport(instance);
        await Report(instance, arqs, outcomes);
    }

    /// <summary>Nova is told, then each attachment journals that its outcome was reported (at least once: a stop in between tells again).</summary>
    private async Task Report(string instance, IReadOnlyList<Arq> arqs, IReadOnlyList<(string Arq, bool Completed)> outcomes)
    {
        await notifier.Notify(instance, outcomes);
        foreach (var arq in arqs)
        {
            try
            {
                await fabric.Vim.Request<AttachmentView>(new MarkBindReported(arq.AttachmentId, FabricVimClient.NewRequestId()));
            }
            catch (Exception ex) when (ex is FabricRejectedException or FabricUnreachableException)
            {
                log.LogWarning("accelerator request {Arq}: could not record that its bind was reported: {Problem}", arq.Uuid, ex.Message);
            }
        }
    }

    /// <summary>
    /// Takes up binds no fabric-api is seen driving: ARQs with an unreported bind whose attachment was in the same status at
    /// the previous sweep (<paramref name="seen"/>), that this process does not drive. A resolved one is reported; one not
    /// realized yet is realized again on its recorded host; one whose bind was never recorded is failed. Returns what this
    /// sweep saw, for the next.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, AttachmentStatus>> Sweep(IReadOnlyDictionary<string, AttachmentStatus> seen, CancellationToken cancellation)
    {
        var now = new Dictionary<string, AttachmentStatus>(StringComparer.Ordinal);
        var stale = new List<Arq>();
        foreach (var arq in (await store.List(null)).Where(Unsettled))
        {
            now[arq.AttachmentId] = arq.View.Status;
            if (seen.TryGetValue(arq.AttachmentId, out var before) && before == arq.View.Status)
            {
                stale.Add(arq);
            }
        }

        foreach (var instance in stale.GroupBy(a => a.Instance!))
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                await TakeUp(instance.Key, instance.Select(a => a.Uuid).ToArray(), cancellation);
            }
            catch (Exception ex) when (ex is FabricRejectedException or FabricUnreachableException or ApiError)
            {
                log.LogWarning("instance {Instance}: its binds left by a stopped fabric-api were not taken up (next sweep): {Problem}", instance.Key, ex.Message);
            }
        }

        return now;
    }

    /// <summary>An assigned ARQ whose bind is unreported (or was never recorded), not driven by this process.</summary>
    private bool Unsettled(Arq arq) =>
        arq.Assigned && !_driving.ContainsKey(arq.AttachmentId)
        && (arq.View.BindRequest is { Reported: false } || (arq.View.BindRequest is null && arq.View.Status == AttachmentStatus.Initial));

    private async Task TakeUp(string instance, IReadOnlyList<string> uuids, CancellationToken cancellation)
    {
        using var held = new Held(await locks.Acquire([instance], cancellation));
        var arqs = new List<Arq>();
        foreach (var uuid in uuids)
        {
            if (await store.Find(uuid) is { } arq && arq.Instance == instance && Unsettled(arq))
            {
                arqs.Add(arq);
            }
        }

        foreach (var arq in arqs.Where(a => a.View.BindRequest is null))
        {
            log.LogWarning("accelerator request {Arq}: its bind was cut short before it was recorded; it is failed", arq.Uuid);
            await fabric.Vim.FailAttachment(arq.AttachmentId, "bind failed: fabric-api stopped before the bind was recorded");
        }

        var resolved = arqs.Where(a => a.View.BindRequest is not null && a.View.Status is AttachmentStatus.Attached or AttachmentStatus.Detached
            or AttachmentStatus.BindFailed or AttachmentStatus.Failed).ToArray();
        if (resolved.Length > 0)
        {
            log.LogWarning("instance {Instance}: reporting {Count} bind(s) whose fabric-api stopped before telling Nova", instance, resolved.Length);
            await Report(instance, resolved, resolved.Select(a => (a.Uuid, a.View.Status is AttachmentStatus.Attached or AttachmentStatus.Detached)).ToArray());
        }

        // Bound: the node agent never realized them (or its spawn was refused and the fabric-api stopped before marking them).
        // BindStarted and Rebinding: the attachment's own saga is under way; a later sweep sees how it ended.
        foreach (var onHost in arqs.Where(a => a.View.BindRequest is not null && a.View.Status is AttachmentStatus.Initial or AttachmentStatus.Bound)
            .GroupBy(a => a.View.BindRequest!.Host))
        {
            log.LogWarning("instance {Instance}: resuming {Count} bind(s) on {Host} whose fabric-api stopped", instance, onHost.Count(), onHost.Key);
            await Realize(instance, onHost.Key, onHost.ToArray());
        }
    }

    /// <summary>The spawn was refused and its queues taken back: attachments it left bound are marked failed (Cyborg's BindFailed).</summary>
    private async Task MarkFailed(IReadOnlyList<Arq> arqs, string reason)
    {
        foreach (var arq in arqs)
        {
            try
            {
                var view = await fabric.Vim.GetAttachment(arq.AttachmentId);
                if (view.Status is not (AttachmentStatus.BindFailed or AttachmentStatus.Failed or AttachmentStatus.Deleted))
                {
                    await fabric.Vim.FailAttachment(arq.AttachmentId, $"bind failed: {reason}");
                }
            }
            catch (Exception ex) when (ex is FabricRejectedException or FabricUnreachableException)
            {
                log.LogWarning("accelerator request {Arq}: could not record its failed bind: {Problem}", arq.Uuid, ex.Message);
            }
        }
    }

    /// <summary>A new binding whose bind could not be recorded goes: the one before it is the ARQ again.</summary>
    private async Task TryDeleteBinding(Arq arq)
    {
        try
        {
            await store.DeleteBinding(arq);
        }
        catch (Exception ex) when (ex is FabricRejectedException or FabricUnreachableException)
        {
            log.LogWarning("accelerator request {Arq}: a binding whose bind was not recorded could not be deleted (a sweep fails it): {Problem}", arq.Uuid, ex.Message);
        }
    }

    private async Task Rollback(IEnumerable<Arq> moved)
    {
        foreach (var arq in moved)
        {
            try
            {
                await store.Next(arq, null);
            }
            catch (Exception ex) when (ex is FabricRejectedException or FabricUnreachableException or ApiError)
            {
                log.LogWarning("accelerator request {Arq}: a failed bind could not be rolled back: {Problem}", arq.Uuid, ex.Message);
            }
        }
    }

    /// <summary>The resource provider of a bind must be a deployable of its host: Fabric places on that host.</summary>
    private async Task CheckResourceProviders(IEnumerable<BindFields> binds)
    {
        IReadOnlyList<DeviceView> devices = await fabric.Vim.ListDevices(null);
        foreach (var fields in binds)
        {
            var device = devices.FirstOrDefault(d => Uuids.Of("rp", d.DeviceId) == fields.DeviceRpUuid)
                ?? throw ApiError.BadRequest($"Couldn't apply patch. Reason: no Fabric deployable has resource provider {fields.DeviceRpUuid} (GET /v2/deployables lists their rp_uuid)");
            if (device.Node != fields.Host)
            {
                throw ApiError.BadRequest($"Couldn't apply patch. Reason: resource provider {fields.DeviceRpUuid} is a deployable of host {device.Node}, not {fields.Host}");
            }
        }
    }

    /// <summary>Unbinds: the instance's running accelerators are stopped, and each ARQ moves to an unassigned binding (Unbound).</summary>
    public async Task Unbind(IReadOnlyCollection<string> uuids, CancellationToken cancellation)
    {
        var first = await FindAll(uuids);
        using var held = new Held(await locks.Acquire(first.Select(a => a.Instance).OfType<string>(), cancellation));
        var arqs = await FindAll(uuids);
        await CheckWhole(arqs, "unbind");
        foreach (var instance in arqs.Where(a => a.Assigned).GroupBy(a => a.Instance!))
        {
            var successors = new List<Arq>();
            foreach (var arq in instance)
            {
                successors.Add(await store.Successor(arq, null));
            }

            await StopInstance(instance.Key, instance);
            foreach (var arq in instance)
            {
                await store.DeleteBinding(arq);
            }
        }

        foreach (var arq in arqs.Where(a => !a.Assigned && a.Generation == 0))
        {
            // Cyborg lets an Initial request be unbound: it becomes Unbound.
            await store.Next(arq, null);
        }
    }

    /// <summary>DELETE ?arqs=: every one must exist (nothing is deleted otherwise).</summary>
    public async Task Delete(IReadOnlyCollection<string> uuids, CancellationToken cancellation)
    {
        var first = await FindAll(uuids);
        using var held = new Held(await locks.Acquire(first.Select(a => a.Instance).OfType<string>(), cancellation));
        var arqs = await FindAll(uuids);
        await CheckWhole(arqs, "delete");
        foreach (var instance in arqs.Where(a => a.Realized).GroupBy(a => a.Instance!))
        {
            await StopInstance(instance.Key, instance);
        }

        foreach (var arq in arqs)
        {
            await store.Delete(arq);
        }
    }

    /// <summary>DELETE ?instance=: idempotent, as in Cyborg.</summary>
    public async Task DeleteInstance(string instance, CancellationToken cancellation)
    {
        using var held = new Held(await locks.Acquire([instance], cancellation));
        var arqs = await store.List(instance);
        await StopInstance(instance, arqs);
        foreach (var arq in arqs)
        {
            await store.Delete(arq);
        }
    }

    private async Task<IReadOnlyList<Arq>> FindAll(IReadOnlyCollection<string> uuids)
    {
        var found = new List<Arq>();
        var missing = new List<string>();
        foreach (var uuid in uuids)
        {
            if (await store.Find(uuid) is { } arq)
            {
                found.Add(arq);
            }
            else
            {
                missing.Add(uuid);
            }
        }

        return missing.Count == 0 ? found : throw ApiError.NotFound($"ARQ not found with uuids {string.Join(",", missing)}");
    }

    /// <summary>
    /// An instance's accelerators stop together (the node agent stops an instance's queues as one): while any of them runs,
    /// an unbind or delete names all of the instance's requests.
    /// </summary>
    private async Task CheckWhole(IReadOnlyList<Arq> arqs, string what)
    {
        foreach (var instance in arqs.Where(a => a.Assigned).GroupBy(a => a.Instance!))
        {
            var all = await store.List(instance.Key);
            var named = instance.Select(a => a.Uuid).ToHashSet();
            var left = all.Where(a => !named.Contains(a.Uuid)).ToArray();
            if (left.Length > 0 && all.Concat(instance).Any(a => a.Realized))
            {
                throw ApiError.Conflict($"instance {instance.Key} runs its accelerators; {what} all of its accelerator requests together "
                    + $"(also {string.Join(", ", left.Select(a => a.Uuid))}), or DELETE ?instance={instance.Key}");
            }
        }
    }

    /// <summary>Stops the instance's queues on every host its requests run on; a host that is gone took its queues with it.</summary>
    private async Task StopInstance(string instance, IEnumerable<Arq> arqs)
    {
        foreach (var host in arqs.Where(a => a.Realized).Select(a => a.View.Host).OfType<string>().Distinct())
        {
            try
            {
                await fabric.Vim.DeleteVm(instance, host);
            }
            catch (FabricRejectedException ex) when (ex.Rejected.Reason == RejectReason.NotFound)
            {
                log.LogWarning("instance {Instance}: host {Host} is not in the fabric; its queues went with it", instance, host);
            }
        }
    }

    private sealed class Held(IReadOnlyDictionary<string, IDisposable> held) : IDisposable
    {
        public void Dispose()
        {
            foreach (var releaser in held.Values)
            {
                releaser.Dispose();
            }
        }
    }
}
