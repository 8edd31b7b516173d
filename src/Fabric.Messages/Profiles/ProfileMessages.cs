namespace Fabric.Messages.Profiles;

/// <summary>
/// One request group of a device profile: a function and how many queue pairs of it, and what Placement would match
/// (docs/cyborg-compat.md, "Traits and resource classes"). The trailing fields default so that groups journaled before
/// them still read; null means none.
/// </summary>
/// <param name="Function">A Fabric function, or "" for a group that names none (Cyborg's own profiles): it matches by
/// resource class and traits alone.</param>
/// <param name="ResourceClasses">The group's <c>resources:</c> classes; they constrain only a group without a function.</param>
/// <param name="RequiredTraits">Traits the device must have.</param>
/// <param name="ForbiddenTraits">Traits the device must not have.</param>
/// <param name="AttachType">The realization asked for (<c>FABRIC_CHANNEL</c> or <c>PCI</c>); null: a channel for a group with a
/// function, either for a group without.</param>
public sealed record ProfileGroup(
    string Function,
    int QueuePairs,
    IReadOnlyList<string>? ResourceClasses = null,
    IReadOnlyList<string>? RequiredTraits = null,
    IReadOnlyList<string>? ForbiddenTraits = null,
    string? AttachType = null);

/// <summary>Everything addressed to one <c>DeviceProfile</c> entity; the id is the profile's name.</summary>
public interface IProfileMessage : IFabricMessage
{
    string Name { get; }
}

public interface IProfileCommand : IProfileMessage, IFabricCommand
{
}

public sealed record CreateProfile(string Name, IReadOnlyList<ProfileGroup> Groups, string RequestId) : IProfileCommand;

public sealed record DeleteProfile(string Name, string RequestId) : IProfileCommand;

public sealed record GetProfile(string Name) : IProfileMessage;

public interface IProfileEvent : IFabricEvent
{
    string Name { get; }
}

public sealed record ProfileCreated(string Name, IReadOnlyList<ProfileGroup> Groups, string RequestId) : IProfileEvent;

public sealed record ProfileDeleted(string Name, string RequestId) : IProfileEvent;

/// <summary>A profile as queries and successful commands answer it. <paramref name="Exists"/> is false once deleted.</summary>
public sealed record ProfileView(string Name, IReadOnlyList<ProfileGroup> Groups, bool Exists) : IFabricMessage;
