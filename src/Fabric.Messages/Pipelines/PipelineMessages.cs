namespace Fabric.Messages.Pipelines;

/// <summary>Everything addressed to one <c>Pipeline</c> entity; the id is <c>attachment/name</c>.</summary>
public interface IPipelineMessage : IFabricMessage
{
    string PipelineId { get; }
}

public interface IPipelineCommand : IPipelineMessage, IFabricCommand
{
}

/// <summary>Define the ordered stages (e.g. <c>deflate, aes-256-gcm, sha256</c>) one operation of the attachment runs through.</summary>
public sealed record DefinePipeline(string PipelineId, string AttachmentId, IReadOnlyList<string> Stages, string RequestId) : IPipelineCommand;

public sealed record DeletePipeline(string PipelineId, string RequestId) : IPipelineCommand;

public sealed record GetPipeline(string PipelineId) : IPipelineMessage;

public interface IPipelineEvent : IFabricEvent
{
    string PipelineId { get; }
}

public sealed record PipelineDefined(string PipelineId, string AttachmentId, IReadOnlyList<string> Stages, string DeviceId, string RequestId) : IPipelineEvent;

public sealed record PipelineDeleted(string PipelineId, string RequestId) : IPipelineEvent;

public sealed record PipelineView(string PipelineId, string AttachmentId, IReadOnlyList<string> Stages, string DeviceId, bool Exists) : IFabricMessage;
