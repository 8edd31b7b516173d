using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Fabric.Api.Hosting;
using Fabric.Api.Http;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Fabric.Vim.Client;

namespace Fabric.Api.Profiles;

/// <summary>
/// Cyborg device profiles kept as Fabric profiles of the same name. A Cyborg accelerator request is one accelerator of
/// one group, so each group also has a hidden Fabric profile <c>&lt;name&gt;.g&lt;i&gt;</c> (one queue pair of its function)
/// that the requests are made from; names with a dot are never Cyborg names and are not listed.
/// </summary>
public sealed partial class DeviceProfiles(FabricConnection fabric)
{
    public const int MaxNameLength = 60;
    private const int MaxGroups = 16;

    // Read-your-writes for lists by UUID: the fabric's profile index follows its journal and lags a moment behind.
    private readonly ConcurrentDictionary<string, byte> _created = new(StringComparer.Ordinal);

    public static string UuidOf(string name) => Uuids.Of("device-profile", name);

    public static string GroupProfile(string name, int group) => $"{name}.g{group}";

    /// <summary>The Cyborg profile and group a hidden group profile stands for, or null for any other name.</summary>
    public static (string Name, int Group)? ParseGroupProfile(string fabricProfile)
    {
        var match = GroupProfilePattern().Match(fabricProfile);
        return match.Success ? (match.Groups[1].Value, int.Parse(match.Groups[2].Value)) : null;
    }

    /// <summary>Cyborg's name rule (<c>^[a-zA-Z0-9-_]+$</c>) within what Fabric takes (starting with a letter or digit, 1-60).</summary>
    public static string? NameProblem(string name) =>
        NamePattern().IsMatch(name) ? null
        : $"Device profile name must be of the form ^[a-zA-Z0-9-_]+$, start with a letter or digit (Fabric) and have at most {MaxNameLength} characters";

    public async Task<IReadOnlyList<ProfileView>> List()
    {
        var listed = (await fabric.Vim.ListProfiles()).Where(p => p.Exists && NameProblem(p.Name) is null).ToList();
        foreach (var name in _created.Keys.Where(n => listed.All(p => p.Name != n)))
        {
            if (await Find(name) is { } view)
            {
                listed.Add(view);
            }
        }

        return listed.OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
    }

    public async Task<ProfileView?> Find(string name)
    {
        if (NameProblem(name) is not null)
        {
            return null;
        }

        try
        {
            var view = await fabric.Vim.GetProfile(name);
            return view.Exists ? view : null;
        }
        catch (FabricRejectedException ex) when (ex.Rejected.Reason == RejectReason.NotFound)
        {
            _created.TryRemove(name, out _);
            return null;
        }
    }

    public async Task<ProfileView?> FindByUuid(string uuid)
    {
        var canonical = Uuids.Canonical(uuid);
        return (await List()).FirstOrDefault(p => UuidOf(p.Name) == canonical);
    }

    public async Task<ProfileView> Create(string name, IReadOnlyList<ProfileGroup> groups, string? project = null, ServiceLevel? level = null)
    {
        if (groups.Count > MaxGroups)
        {
            throw ApiError.BadRequest($"device profile {name}: at most {MaxGroups} groups, {groups.Count} given");
        }

        if (await Find(name) is not null)
        {
            throw ApiError.Conflict($"A device_profile with name {name} already exists.");
        }

        // The check above answers most duplicates; the fabric's profile entity decides races: one create of a name wins.
        ProfileView view;
        try
        {
            view = await fabric.Vim.CreateProfile(name, groups.ToArray(), project: project, level: level);
        }
        catch (FabricRejectedException ex) when (ex.Rejected.Reason == RejectReason.AlreadyExists)
        {
            throw ApiError.Conflict($"A device_profile with name {name} already exists.");
        }

        _created[name] = 0;
        return view;
    }

    /// <summary>Deletes the profile and its group profiles (requests made from them keep their copy of the group).</summary>
    public async Task Delete(ProfileView profile)
    {
        await fabric.Vim.DeleteProfile(profile.Name);
        _created.TryRemove(profile.Name, out _);
        await Task.WhenAll(Enumerable.Range(0, MaxGroups).Select(i => DeleteIfThere(GroupProfile(profile.Name, i))));
    }

    /// <summary>
    /// The hidden profile of group <paramref name="group"/> of the profile as it is now: one queue pair of its function,
    /// and the profile's service level (its groups' <c>fabric:*</c> keys), which its requests' attachments copy.
    /// </summary>
    public async Task<string> EnsureGroupProfile(ProfileView profile, int group)
    {
        var name = GroupProfile(profile.Name, group);
        ProfileGroup[] content = [profile.Groups[group] with { QueuePairs = 1 }];
        var level = LevelOrNull(profile.Level);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await fabric.Vim.CreateProfile(name, content, level: level);
                return name;
            }
            catch (FabricRejectedException ex) when (ex.Rejected.Reason == RejectReason.AlreadyExists && attempt < 3)
            {
                // Made by an earlier request (or a concurrent one) with the same content: use it. Left from an earlier
                // profile of the same name with other content or another level: the profile as it is now decides.
                if (await Existing(name) is { } existing && existing.Groups.SequenceEqual(content, GroupComparer.Instance)
                    && LevelOrNull(existing.Level) == level)
                {
                    return name;
                }

                await DeleteIfThere(name);
            }
        }
    }

    /// <summary>Makes sure the group profile a request was made from is there again (the profile may have been deleted since).</summary>
    public async Task RestoreGroupProfile(string name, ProfileGroup group, ServiceLevel? level = null)
    {
        try
        {
            await fabric.Vim.CreateProfile(name, [group], level: LevelOrNull(level));
        }
        catch (FabricRejectedException ex) when (ex.Rejected.Reason == RejectReason.AlreadyExists)
        {
            if (await Existing(name) is { } existing && existing.Groups.SequenceEqual([group], GroupComparer.Instance))
            {
                return;
            }

            throw ApiError.Conflict($"the device profile of this accelerator request was replaced by one with other groups since the request was made; delete the request and make a new one");
        }
    }

    /// <summary>Best effort is no level (null), as profiles and attachments without keys have it.</summary>
    private static ServiceLevel? LevelOrNull(ServiceLevel? level) => level is null || level == ServiceLevel.BestEffort ? null : level;

    private async Task<ProfileView?> Existing(string name)
    {
        try
        {
            var view = await fabric.Vim.GetProfile(name);
            return view.Exists ? view : null;
        }
        catch (FabricRejectedException ex) when (ex.Rejected.Reason == RejectReason.NotFound)
        {
            return null;
        }
    }

    private async Task DeleteIfThere(string name)
    {
        try
        {
            await fabric.Vim.DeleteProfile(name);
        }
        catch (FabricRejectedException ex) when (ex.Rejected.Reason == RejectReason.NotFound)
        {
        }
    }

    private sealed class GroupComparer : IEqualityComparer<ProfileGroup>
    {
        public static GroupComparer Instance { get; } = new();

        public bool Equals(ProfileGroup? x, ProfileGroup? y) => x is not null && y is not null && ProfileGroups.Same(x, y);

        public int GetHashCode(ProfileGroup obj) => HashCode.Combine(obj.Function, obj.QueuePairs);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^([A-Za-z0-9][A-Za-z0-9_-]{0,59})\.g([0-9]{1,2})$")]
    private static partial Regex GroupProfilePattern();
}
