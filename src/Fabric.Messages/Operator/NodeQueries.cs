using Fabric.Messages.Pipelines;
using Fabric.Messages.Vim;

namespace Fabric.Messages.Operator;

/// <summary>Forwarded to the node agent of compute node <paramref name="Host"/>, which answers with its <see cref="Node.NodeStatus"/>.</summary>
public sealed record GetNodeStatusOf(string Host) : IFabricMessage;

/// <summary>One page of the pipelines of one attachment, or of all of them when <paramref name="AttachmentId"/> is null, by id.</summary>
public sealed record ListPipelines(string? AttachmentId, string? Cursor = null, int? Limit = null) : IListQuery;

public sealed record PipelineList(IReadOnlyList<PipelineView> Pipelines, string? NextCursor = null) : IListPage;
