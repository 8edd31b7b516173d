using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Node;
using Fabric.Messages.Profiles;

namespace Fabric.Messages.Vim;

// What a VIM (or an operator tool) sends the gateway besides the entity commands themselves, which it forwards
// (CreateProfile, GetProfile, DeleteProfile, CreateAttachment, BindAttachment, GetAttachment, DeleteAttachment,
// GetDevice, DefinePipeline, GetPipeline, DeletePipeline).

/// <summary>One page of the profiles, by name, after <paramref name="Cursor"/> (see <see cref="IListQuery"/>).</summary>
public sealed record ListProfiles(string? Cursor = null, int? Limit = null) : IListQuery
{
    public static ListProfiles Instance { get; } = new();
}

public sealed record ProfileList(IReadOnlyList<ProfileView> Profiles, string? NextCursor = null) : IListPage;

/// <summary>One page of the attachments of one VM, or of all of them when <paramref name="VmId"/> is null, by id.</summary>
public sealed record ListAttachments(string? VmId, string? Cursor = null, int? Limit = null) : IListQuery;

public sealed record AttachmentList(IReadOnlyList<AttachmentView> Attachments, string? NextCursor = null) : IListPage;

/// <summary>One page of the devices of one host, or of all of them when <paramref name="Node"/> is null, by id.</summary>
public sealed record ListDevices(string? Node, string? Cursor = null, int? Limit = null) : IListQuery;

public sealed record DeviceList(IReadOnlyList<DeviceView> Devices, string? NextCursor = null) : IListPage;

/// <summary>A VM starts on <paramref name="Host"/>: its accelerators are bound and realized before the VM runs.</summary>
/// <param name="Machine">Set: the node agent starts the VM itself (QEMU) once its accelerators are realized.</param>
public sealed record VmSpawnRequested(string VmId, string Host, IReadOnlyList<VmAccelerator> Accelerators, string RequestId, VmMachine? Machine = null) : IFabricCommand;

/// <summary>A VM is deleted: its accelerators are detached, deleted and their capacity released.</summary>
public sealed record VmDeleteRequested(string VmId, string Host, string RequestId) : IFabricCommand;

/// <summary>Cold migration: stopped on <paramref name="FromHost"/> keeping its reservations, then re-bound and realized on <paramref name="ToHost"/>.</summary>
public sealed record VmMoveRequested(string VmId, string FromHost, string ToHost, IReadOnlyList<VmAccelerator> Accelerators, string RequestId) : IFabricCommand;

/// <summary>
/// Subscribe the sender to <see cref="FabricEvent"/>s. Repeat it now and then: a subscription lapses after a minute.
/// With <paramref name="Since"/> (the time of the last event the subscriber saw), the gateway first sends again the
/// recent events after it: events published while the subscriber's connection moved to another node are not lost
/// (a subscriber may see an event twice).
/// </summary>
public sealed record SubscribeEvents(DateTimeOffset? Since = null) : IFabricMessage
{
    public static SubscribeEvents Instance { get; } = new();
}

public sealed record EventsSubscribed(TimeSpan Lease) : IFabricMessage;

/// <summary>The answer to <see cref="GetGatewayInfo"/>: the compute nodes the gateway can route to, and the control nodes (clients connect with it).</summary>
public sealed record GatewayInfo(IReadOnlyList<string> ComputeNodes, IReadOnlyList<string> ControlNodes) : IFabricMessage;

public sealed record GetGatewayInfo : IFabricMessage
{
    public static GetGatewayInfo Instance { get; } = new();
}
