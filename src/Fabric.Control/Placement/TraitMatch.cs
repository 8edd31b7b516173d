using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;

namespace Fabric.Control.Placement;

/// <summary>
/// Placement's matching of a request group against a device, on pure data: required traits present, forbidden ones
/// absent, the attach type offered, and (for a group that names no Fabric function) each resource class offered.
/// </summary>
public static class TraitMatch
{
    /// <summary>The first constraint of <paramref name="groups"/> the device fails, for people; null when it matches them all.</summary>
    public static string? Mismatch(DeviceCapacity device, IReadOnlyList<ProfileGroup> groups)
    {
        var traits = new HashSet<string>(device.Traits ?? DeviceTraits.Effective("", device.Functions, null, null), StringComparer.Ordinal);
        var classes = device.ResourceClasses ?? [DeviceTraits.GenericResourceClass];
        for (var i = 0; i < groups.Count; i++)
        {
            var problem = Mismatch(traits, classes, groups[i]);
            if (problem is not null)
            {
                return groups.Count == 1 ? problem : $"{problem} (group {i})";
            }
        }

        return null;
    }

    public static string? Mismatch(IReadOnlySet<string> traits, IReadOnlyList<string> resourceClasses, ProfileGroup group)
    {
        // A group with a Fabric function counts queue pairs of it whatever class it names (profiles made before traits did so).
        if (group.Function.Length == 0 && group.ResourceClasses?.FirstOrDefault(rc => !resourceClasses.Contains(rc)) is { } rc)
        {
            return $"resource class {rc} is not offered";
        }

        if (group.RequiredTraits?.FirstOrDefault(t => !traits.Contains(t)) is { } missing)
        {
            return $"required trait {missing} is missing";
        }

        if (group.ForbiddenTraits?.FirstOrDefault(traits.Contains) is { } forbidden)
        {
            return $"forbidden trait {forbidden} is present";
        }

        var attach = group.AttachType ?? (group.Function.Length > 0 ? DeviceTraits.ChannelAttach : null);
        return attach is not null && !traits.Contains(DeviceTraits.OfAttach(attach))
            ? $"attach type {attach} is not offered"
            : null;
    }

    /// <summary>Why no device matched: each distinct reason with how many devices it excluded, most first.</summary>
    public static string Summary(IEnumerable<string> mismatches) => string.Join("; ", mismatches
        .GroupBy(m => m, StringComparer.Ordinal)
        .OrderByDescending(g => g.Count())
        .ThenBy(g => g.Key, StringComparer.Ordinal)
        .Take(3)
        .Select(g => g.Count() == 1 ? $"{g.Key} on 1 device" : $"{g.Key} on {g.Count()} devices"));
}
