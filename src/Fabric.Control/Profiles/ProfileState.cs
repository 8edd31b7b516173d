using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Fabric.Control.Entities;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Functions;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;

namespace Fabric.Control.Profiles;

/// <summary>A device profile (Cyborg's device_profile): named request groups, validated on create.</summary>
public sealed partial record ProfileState(
    string Name,
    bool Exists,
    ImmutableArray<ProfileGroup> Groups,
    RequestLog Requests,
    string? Project = null,
    ServiceLevel? Level = null) : IFabricMessage, IEntityState<ProfileState>
{
    public const int MaxGroups = 16;
    public const int MaxQueuePairsPerGroup = 64;
    public const int MaxTraitsPerGroup = 64;

    public static ProfileState Empty(string name) => new(name, false, [], RequestLog.Empty);

    public ProfileView ToView() => new(Name, Groups.ToArray(), Exists, Project, Level);

    public Decision Decide(CreateProfile cmd)
    {
        if (!NamePattern().IsMatch(cmd.Name ?? ""))
        {
            return Decision.Reject(RejectReason.InvalidArgument,
                $"profile name '{cmd.Name}' is not valid: 1-64 characters of a-z, A-Z, 0-9, '.', '_' and '-', starting with a letter or digit");
        }

        if (cmd.Project is { Length: > 255 })
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"profile {cmd.Name}: a project has at most 255 characters");
        }

        if (cmd.Level is not null && ServiceLevelKeys.Problem(cmd.Level) is { } levelProblem)
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"profile {cmd.Name}: service level: {levelProblem}");
        }

        if (cmd.Groups is null || cmd.Groups.Count == 0)
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"profile {cmd.Name}: at least one group is required");
        }

        if (cmd.Groups.Count > MaxGroups)
        {
            return Decision.Reject(RejectReason.InvalidArgument, $"profile {cmd.Name}: at most {MaxGroups} groups, {cmd.Groups.Count} given");
        }

        for (var i = 0; i < cmd.Groups.Count; i++)
        {
            var group = cmd.Groups[i];
            // A group of Cyborg's own profiles names no function: it places by resource class and traits alone.
            if (group is null || group.Function is null || (group.Function.Length > 0 && !AccelerationFunctions.All.Contains(group.Function)))
            {
                return Decision.Reject(RejectReason.UnknownFunction,
                    $"profile {cmd.Name}, group {i}: unknown function '{group?.Function}'; known: {string.Join(", ", AccelerationFunctions.All)}");
            }

            if (GroupProblem(group) is { } problem)
            {
                return Decision.Reject(RejectReason.InvalidArgument, $"profile {cmd.Name}, group {i}: {problem}");
            }

            if (group.QueuePairs is < 1 or > MaxQueuePairsPerGroup)
            {
                return Decision.Reject(RejectReason.InvalidArgument,
                    $"profile {cmd.Name}, group {i} ({group.Function}): queue pairs must be 1..{MaxQueuePairsPerGroup}, was {group.QueuePairs}");
            }
        }

        // A retry of the create that made it (the same request id) is answered from the request log before this; any other
        // create of an existing profile lost the race for the name, even with the same groups: exactly one create wins.
        if (Exists)
        {
            return Decision.Reject(RejectReason.AlreadyExists, Groups.SequenceEqual(cmd.Groups)
                ? $"profile {cmd.Name} exists already (made by another request); delete it first"
                : $"profile {cmd.Name} exists already with other groups; delete it first");
        }

        var events = new List<IFabricEvent> { new ProfileCreated(cmd.Name!, cmd.Groups.ToArray(), cmd.RequestId) };
        if (cmd.Project is { Length: > 0 } project)
        {
            events.Add(new ProfileProjectSet(cmd.Name!, project, cmd.RequestId));
        }

        if (cmd.Level is { } level)
        {
            events.Add(new ProfileServiceLevelSet(cmd.Name!, level, cmd.RequestId));
        }

        return new Decision(events, null);
    }

    /// <summary>Placement's syntax for the group's resource classes and traits (their meaning is placement's: any name is taken).</summary>
    private static string? GroupProblem(ProfileGroup group)
    {
        var named = (group.RequiredTraits ?? []).Concat(group.ForbiddenTraits ?? []).ToArray();
        if (named.FirstOrDefault(t => !DeviceTraits.IsTraitName(t)) is { } trait)
        {
            return $"'{trait}' is not a trait name (A-Z, 0-9 and _, at most {DeviceTraits.MaxNameLength})";
        }

        if ((group.ResourceClasses ?? []).FirstOrDefault(rc => !DeviceTraits.IsResourceClass(rc)) is { } rc)
        {
            return $"'{rc}' is not a resource class name (A-Z, 0-9 and _, at most {DeviceTraits.MaxNameLength})";
        }

        if ((group.RequiredTraits ?? []).Intersect(group.ForbiddenTraits ?? []).FirstOrDefault() is { } both)
        {
            return $"trait {both} is both required and forbidden";
        }

        if (named.Length > MaxTraitsPerGroup)
        {
            return $"at most {MaxTraitsPerGroup} traits";
        }

        return group.AttachType is not null && !DeviceTraits.AttachTypes.Contains(group.AttachType)
            ? $"attach type '{group.AttachType}' is not one of {string.Join(", ", DeviceTraits.AttachTypes)}"
            : null;
    }

    public Decision Decide(DeleteProfile cmd) =>
        Exists ? Decision.Persist(new ProfileDeleted(Name, cmd.RequestId))
        : Decision.Reject(RejectReason.NotFound, $"profile {Name} does not exist");

    public ProfileState WithRequests(RequestLog requests) => this with { Requests = requests };

    public ProfileState Apply(IFabricEvent e) => e switch
    {
        ProfileCreated c => this with { Exists = true, Groups = [.. c.Groups], Project = null, Level = null },
        ProfileProjectSet p => this with { Project = p.Project },
        ProfileServiceLevelSet l => this with { Level = l.Level },
        ProfileDeleted => this with { Exists = false, Groups = [], Project = null, Level = null },
        _ => this,
    };

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
