using Fabric.Messages.Attachments;

namespace Fabric.Messages.Profiles;

/// <summary>
/// One request group of a device profile: a function and how many queue pairs of it. Its shape is frozen: Hyperion reads
/// a known type's fields by position, so a field added here would make every journaled group unreadable. A group with
/// placement constraints is a <see cref="ConstrainedGroup"/>; here they are none.
/// </summary>
/// <param name="Function">A Fabric function, or "" for a group that names none (Cyborg's own profiles): it matches by
/// resource class and traits alone.</param>
public record ProfileGroup(string Function, int QueuePairs)
{
    /// <summary>The group's <c>resources:</c> classes; they constrain only a group without a function.</summary>
    public virtual IReadOnlyList<string>? ResourceClasses => null;

    /// <summary>Traits the device must have.</summary>
    public virtual IReadOnlyList<string>? RequiredTraits => null;

    /// <summary>Traits the device must not have.</summary>
    public virtual IReadOnlyList<string>? ForbiddenTraits => null;

    /// <summary>The realization asked for (<c>FABRIC_CHANNEL</c> or <c>PCI</c>); null: a channel for a group with a function, either for one without.</summary>
    public virtual string? AttachType => null;
}

/// <summary>A profile group with what Placement would match (docs/cyborg-compat.md, "Traits and resource classes"); null means none.</summary>
public sealed record ConstrainedGroup(
    string Function,
    int QueuePairs,
    IReadOnlyList<string>? ResourceClasses,
    IReadOnlyList<string>? RequiredTraits,
    IReadOnlyList<string>? ForbiddenTraits,
    string? AttachType) : ProfileGroup(Function, QueuePairs)
{
    public override IReadOnlyList<string>? ResourceClasses { get; } = ResourceClasses;

    public override IReadOnlyList<string>? RequiredTraits { get; } = RequiredTraits;

    public override IReadOnlyList<string>? ForbiddenTraits { get; } = ForbiddenTraits;

    public override string? AttachType { get; } = AttachType;
}

/// <summary>Everything addressed to one <c>DeviceProfile</c> entity; the id is the profile's name.</summary>
public interface IProfileMessage : IFabricMessage
{
    string Name { get; }
}

public interface IProfileCommand : IProfileMessage, IFabricCommand
{
}

/// <summary><paramref name="Project"/>: the project that made it (Cyborg shows it as project_id); none without projects.
/// <paramref name="Level"/>: the service level of attachments made from it (the groups' <c>fabric:*</c> keys); null is best effort.</summary>
public sealed record CreateProfile(string Name, IReadOnlyList<ProfileGroup> Groups, string RequestId, string? Project = null, ServiceLevel? Level = null) : IProfileCommand;

public sealed record DeleteProfile(string Name, string RequestId) : IProfileCommand;

public sealed record GetProfile(string Name) : IProfileMessage;

public interface IProfileEvent : IFabricEvent
{
    string Name { get; }
}

public sealed record ProfileCreated(string Name, IReadOnlyList<ProfileGroup> Groups, string RequestId) : IProfileEvent;

public sealed record ProfileDeleted(string Name, string RequestId) : IProfileEvent;

/// <summary>The project that made a profile just created, journaled right after <see cref="ProfileCreated"/> (an event of its own: see AttachmentProjectSet).</summary>
public sealed record ProfileProjectSet(string Name, string Project, string RequestId) : IProfileEvent;

/// <summary>A profile as queries and successful commands answer it. <paramref name="Exists"/> is false once deleted.</summary>
public sealed record ProfileView(string Name, IReadOnlyList<ProfileGroup> Groups, bool Exists, string? Project = null, ServiceLevel? Level = null) : IFabricMessage;

/// <summary>The service level of a profile just created, journaled right after <see cref="ProfileCreated"/> (an event of its own: see AttachmentProjectSet).</summary>
public sealed record ProfileServiceLevelSet(string Name, ServiceLevel Level, string RequestId) : IProfileEvent;
