using System.Collections.Concurrent;
using Fabric.Api.Hosting;
using Fabric.Api.Profiles;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Fabric.Vim.Client;

namespace Fabric.Api.Requests;

/// <summary>ARQs in the fabric (see <see cref="Arq"/>): find, list, create, move to the next binding, delete.</summary>
public sealed class ArqStore(FabricConnection fabric, DeviceProfiles profiles, ILogger<ArqStore> log)
{
    // Read-your-writes: the fabric's attachment index follows its journal and lags a moment behind this process's writes.
    // uuid -> instance (null when unassigned) of every live ARQ this process made or moved.
    private readonly ConcurrentDictionary<string, string> _known = new(StringComparer.Ordinal);

    private FabricVimClient Vim => fabric.Vim;

    /// <summary>The ARQ with this uuid, or null when there is none (never made, or deleted). Older live bindings left by an interrupted step are deleted.</summary>
    public async Task<Arq?> Find(string uuid)
    {
        var live = new List<Arq>();
        for (var generation = 0; ; generation++)
        {
            AttachmentView view;
            try
            {
                view = await Vim.GetAttachment(Arq.IdOf(uuid, generation));
            }
            catch (FabricRejectedException ex) when (ex.Rejected.Reason == RejectReason.NotFound)
            {
                break;
            }

            if (view.Status != AttachmentStatus.Deleted)
            {
                live.Add(new Arq(uuid, generation, view));
            }
        }

        if (live.Count == 0)
        {
            _known.TryRemove(uuid, out _);
            return null;
        }

        foreach (var stale in live.SkipLast(1))
        {
            await TryDelete(stale.AttachmentId, "an earlier binding left by an interrupted step");
        }

        return live[^1];
    }

    /// <summary>ARQs of an instance, or all of them; attachments that fabric-api did not make are not ARQs.</summary>
    public async Task<IReadOnlyList<Arq>> List(string? instance)
    {
        var views = await Vim.ListAttachments(instance);
        var newest = new Dictionary<string, Arq>(StringComparer.Ordinal);
        foreach (var view in views)
        {
            if (Arq.Parse(view.AttachmentId) is { } id && (!newest.TryGetValue(id.Uuid, out var seen) || seen.Generation < id.Generation))
            {
                newest[id.Uuid] = new Arq(id.Uuid, id.Generation, view);
            }
        }

        foreach (var (uuid, known) in _known)
        {
            if (!newest.ContainsKey(uuid) && (instance is null || known == instance) && await Find(uuid) is { } arq
                && (instance is null || arq.Instance == instance))
            {
                newest[uuid] = arq;
            }
        }

        return newest.Values.Where(a => instance is null || a.Instance == instance)
            .OrderBy(a => a.ProfileName, StringComparer.Ordinal).ThenBy(a => a.Group).ThenBy(a => a.Uuid, StringComparer.Ordinal).ToArray();
    }

    /// <summary>One ARQ per accelerator of every group of the profile, all or none.</summary>
    public async Task<IReadOnlyList<Arq>> Create(ProfileView profile, string? project)
    {
        var made = new List<Arq>();
        try
        {
            for (var group = 0; group < profile.Groups.Count; group++)
            {
                var groupProfile = await profiles.EnsureGroupProfile(profile, group);
                for (var i = 0; i < profile.Groups[group].QueuePairs; i++)
                {
                    var uuid = Guid.NewGuid().ToString("D");
                    var view = await Vim.CreateAttachment(uuid, Arq.Unassigned, groupProfile, project: project);
                    made.Add(new Arq(uuid, 0, view));
                    _known[uuid] = "";
                }
            }
        }
        catch
        {
            foreach (var arq in made)
            {
                await TryDelete(arq.AttachmentId, "rolling back a create that failed");
                _known.TryRemove(arq.Uuid, out _);
            }

            throw;
        }

        return made;
    }

    /// <summary>The next binding of the ARQ, for <paramref name="instance"/> (null: unassigned); the current one is deleted after.</summary>
    public async Task<Arq> Next(Arq arq, string? instance)
    {
        var next = await Successor(arq, instance);
        await Vim.DeleteAttachment(arq.AttachmentId);
        return next;
    }

    /// <summary>
    /// Makes the next binding and leaves the current one for the caller to delete (after it stopped what the current one
    /// runs): until then the ARQ is the new one, and an interrupted step leaves an older live binding that <see cref="Find"/> cleans.
    /// </summary>
    public async Task<Arq> Successor(Arq arq, string? instance)
    {
        var next = arq.Generation + 1;
        var id = Arq.IdOf(arq.Uuid, next);
        AttachmentView view;
        try
        {
            view = await Vim.CreateAttachment(id, instance ?? Arq.Unassigned, arq.View.Profile, project: arq.Project);
        }
        catch (FabricRejectedException ex) when (ex.Rejected.Reason == RejectReason.NotFound && arq.View.Groups.Count == 1)
        {
            // The request's device profile was deleted since: its group is in the request itself.
            await profiles.RestoreGroupProfile(arq.View.Profile, arq.View.Groups[0], arq.View.Level);
            view = await Vim.CreateAttachment(id, instance ?? Arq.Unassigned, arq.View.Profile, project: arq.Project);
        }

        // The next binding keeps the request's level (its profile's, or what was PUT on the request since), so the bind
        // that follows commits it on the device.
        var level = arq.View.Level ?? ServiceLevel.BestEffort;
        if ((view.Level ?? ServiceLevel.BestEffort) != level)
        {
            view = await Vim.SetServiceLevel(id, level);
        }

        _known[arq.Uuid] = instance ?? "";
        return new Arq(arq.Uuid, next, view);
    }

    public async Task Delete(Arq arq)
    {
        await Vim.DeleteAttachment(arq.AttachmentId);
        _known.TryRemove(arq.Uuid, out _);
    }

    /// <summary>Deletes one binding of an ARQ that has a newer one (deleting a deleted one is no error).</summary>
    public Task DeleteBinding(Arq arq) => Vim.DeleteAttachment(arq.AttachmentId);

    private async Task TryDelete(string attachmentId, string why)
    {
        try
        {
            await Vim.DeleteAttachment(attachmentId);
        }
        catch (FabricRejectedException ex)
        {
            log.LogWarning("attachment {Attachment} ({Why}) could not be deleted: {Reason}", attachmentId, why, ex.Rejected);
        }
    }
}
