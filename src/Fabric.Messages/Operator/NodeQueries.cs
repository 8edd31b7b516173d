using Fabric.Messages.Pipelines;

namespace Fabric.Messages.Operator;

/// <summary>Forwarded to the node agent of compute node <paramref name="Host"/>, which answers with its <see cref="Node.NodeStatus"/>.</summary>
public sealed record GetNodeStatusOf(string Host) : IFabricMessage;

/// <summary>Pipelines of one attachment, or all of them when <paramref name="AttachmentId"/> is null.</summary>
public sealed record ListPipelines(string? AttachmentId) : IFabricMessage;

public sealed record PipelineList(IReadOnlyList<PipelineView> Pipelines) : IFabricMessage;
