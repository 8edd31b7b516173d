namespace Fabric.Messages.Profiles;

/// <summary>One request group of a device profile: a function and how many queue pairs of it.</summary>
public sealed record ProfileGroup(string Function, int QueuePairs);

/// <summary>Everything addressed to one <c>DeviceProfile</c> entity; the id is the profile's name.</summary>
public interface IProfileMessage : IFabricMessage
{
    string Name { get; }
}

public interface IProfileCommand : IProfileMessage, IFabricCommand
{
}

/// <summary><paramref name="Project"/>: the project that made it (Cyborg shows it as project_id); none without projects.</summary>
public sealed record CreateProfile(string Name, IReadOnlyList<ProfileGroup> Groups, string RequestId, string? Project = null) : IProfileCommand;

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
public sealed record ProfileView(string Name, IReadOnlyList<ProfileGroup> Groups, bool Exists, string? Project = null) : IFabricMessage;
