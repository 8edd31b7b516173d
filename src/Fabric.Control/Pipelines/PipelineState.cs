using System.Collections.Immutable;
using Fabric.Control.Entities;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Functions;
using Fabric.Messages.Pipelines;

namespace Fabric.Control.Pipelines;

/// <summary>
/// An ordered chain of stages one operation of an attachment runs through. Every stage must be a function of the
/// attachment's profile (so a rebind to any device that serves the profile keeps the pipeline valid) and of the
/// device it is bound to now.
/// </summary>
public sealed record PipelineState(
    string PipelineId,
    bool Exists,
    string AttachmentId,
    ImmutableArray<string> Stages,
    string DeviceId,
    RequestLog Requests) : IFabricMessage, IEntityState<PipelineState>
{
    public const int MaxStages = 8;

    public static PipelineState Empty(string pipelineId) => new(pipelineId, false, "", [], "", RequestLog.Empty);

    public PipelineView ToView() => new(PipelineId, AttachmentId, Stages.ToArray(), DeviceId, Exists);

    /// <summary>Checks that need no other entity; the attachment lookup comes after.</summary>
    public Rejected? Validate(DefinePipeline cmd)
    {
        if (string.IsNullOrWhiteSpace(cmd.AttachmentId) || !PipelineId.StartsWith(cmd.AttachmentId + "/", StringComparison.Ordinal)
            || PipelineId.Length == cmd.AttachmentId.Length + 1)
        {
            return new Rejected(RejectReason.InvalidArgument,
                $"pipeline id '{PipelineId}' must be '<attachment>/<name>' with attachment '{cmd.AttachmentId}'");
        }

        if (cmd.Stages is null || cmd.Stages.Count is 0 or > MaxStages)
        {
            return new Rejected(RejectReason.InvalidArgument, $"pipeline {PipelineId}: 1..{MaxStages} stages are required");
        }

        var unknown = cmd.Stages.Where(s => !AccelerationFunctions.All.Contains(s)).ToArray();
        if (unknown.Length > 0)
        {
            return new Rejected(RejectReason.UnknownFunction,
                $"pipeline {PipelineId}: unknown stage(s) {string.Join(", ", unknown)}; known: {string.Join(", ", AccelerationFunctions.All)}");
        }

        return null;
    }

    public Decision Decide(DefinePipeline cmd, AttachmentView attachment)
    {
        if (attachment.Status is not (AttachmentStatus.Bound or AttachmentStatus.Attached or AttachmentStatus.Detached)
            || attachment.DeviceId is null)
        {
            return Decision.Reject(RejectReason.IllegalState,
                $"pipeline {PipelineId}: attachment {attachment.AttachmentId} is {attachment.Status}; bind it first");
        }

        var profileFunctions = attachment.Groups.Select(g => g.Function).ToHashSet(StringComparer.Ordinal);
        var outsideProfile = cmd.Stages.Where(s => !profileFunctions.Contains(s)).Distinct().ToArray();
        if (outsideProfile.Length > 0)
        {
            return Decision.Reject(RejectReason.FunctionNotSupported,
                $"pipeline {PipelineId}: stage(s) {string.Join(", ", outsideProfile)} are not in profile {attachment.Profile} ({string.Join(", ", profileFunctions)})");
        }

        var outsideDevice = cmd.Stages.Where(s => !attachment.DeviceFunctions.Contains(s)).Distinct().ToArray();
        if (outsideDevice.Length > 0)
        {
            return Decision.Reject(RejectReason.FunctionNotSupported,
                $"pipeline {PipelineId}: device {attachment.DeviceId} does not run {string.Join(", ", outsideDevice)}");
        }

        if (Exists)
        {
            return AttachmentId == cmd.AttachmentId && Stages.SequenceEqual(cmd.Stages)
                ? Decision.Unchanged
                : Decision.Reject(RejectReason.AlreadyExists, $"pipeline {PipelineId} exists already with other stages; delete it first");
        }

        return Decision.Persist(new PipelineDefined(PipelineId, cmd.AttachmentId, cmd.Stages.ToArray(), attachment.DeviceId, cmd.RequestId));
    }

    public Decision Decide(DeletePipeline cmd) =>
        Exists ? Decision.Persist(new PipelineDeleted(PipelineId, cmd.RequestId)) : Decision.Unchanged;

    public PipelineState WithRequests(RequestLog requests) => this with { Requests = requests };

    public PipelineState Apply(IFabricEvent e) => e switch
    {
        PipelineDefined d => this with { Exists = true, AttachmentId = d.AttachmentId, Stages = [.. d.Stages], DeviceId = d.DeviceId },
        PipelineDeleted => this with { Exists = false, Stages = [], DeviceId = "" },
        _ => this,
    };
}
