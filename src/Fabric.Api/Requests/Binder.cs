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
/// Binds, unbinds and deletes ARQs. A bind is checked whole and recorded (each ARQ moves to a binding for its instance)
/// before the 202; the fabric then binds and realizes the instance's accelerators on the host in the background (the node
/// agent's VM spawn: device reservation, channel, AC queue, attach handle), and Nova is told. Anything refused is refused
/// before a change: nothing is half done.
/// </summary>
public sealed class Binder(FabricConnection fabric, ArqStore store, InstanceLocks locks, BindNotifier notifier, ILogger<Binder> log)
    : IHostedService
{
    private readonly ConcurrentDictionary<string, PendingBind> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public PendingBind? PendingOf(string uuid) => _pending.TryGetValue(uuid, out var p) ? p : null;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Binds under way finish (or the host's shutdown timeout ends the wait).</summary>
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
                    throw ApiError.Conflict($"Bad state: {ArqStates.StateOf(arq, PendingOf(uuid))} for ARQ: {uuid}. Expected state(s): ['{ArqStates.Initial}', '{ArqStates.Unbound}']");
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
                var elsewhere = existing.Select(a => a.View.Host ?? PendingOf(a.Uuid)?.Host).OfType<string>().Distinct().Where(h => h != host).ToArray();
                if (elsewhere.Length > 0)
                {
                    throw ApiError.Conflict($"instance {instance.Key} has its accelerators on {string.Join(", ", elsewhere)}; a hot-add binds on that host, not {host}");
                }
            }

            var moved = new List<(Arq Arq, BindFields Fields)>();
            try
            {
                foreach (var (arq, fields) in arqs)
                {
                    moved.Add((await store.Next(arq, fields.Instance), fields));
                }
            }
            catch
            {
                await Rollback(moved.Select(m => m.Arq));
                throw;
            }

            foreach (var (arq, fields) in moved)
            {
                _pending[arq.Uuid] = new PendingBind(fields.Instance, fields.Host, fields.DeviceRpUuid);
            }

            foreach (var instance in moved.GroupBy(m => m.Fields.Instance))
            {
                var job = Task.Run(() => Realize(instance.Key, instance.First().Fields.Host, instance.Select(m => m.Arq).ToArray(), held[instance.Key]), CancellationToken.None);
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

    /// <summary>The background half of a bind: the host's node agent binds and realizes the accelerators; Nova is told how it ended.</summary>
    private async Task Realize(string instance, string host, IReadOnlyList<Arq> arqs, IDisposable instanceLock)
    {
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
            catch (Exception ex) when (ex is FabricRejectedException or FabricUnreachableException)
            {
                var reason = ex is FabricRejectedException r ? r.Rejected.Message : ex.Message;
                log.LogWarning("instance {Instance}: bind on {Host} failed: {Reason}", instance, host, reason);
                await MarkFailed(arqs, reason);
                outcomes.AddRange(arqs.Select(a => (a.Uuid, false)));
            }
        }
        catch (Exception ex)
        {
            log.LogError(ex, "instance {Instance}: the bind on {Host} ended unexpectedly", instance, host);
            outcomes.AddRange(arqs.Select(a => (a.Uuid, false)));
        }
        finally
        {
            foreach (var arq in arqs)
            {
                _pending.TryRemove(arq.Uuid, out _);
            }

            instanceLock.Dispose();
        }

        await notifier.Notify(instance, outcomes);
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
