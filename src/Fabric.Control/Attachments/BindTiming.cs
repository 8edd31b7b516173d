using Fabric.Control.Metrics;
using Fabric.Messages;
using Fabric.Messages.Attachments;

namespace Fabric.Control.Attachments;

/// <summary>A bind in progress as the metrics see it: its kind and when it started; one resumed after a restart has no start to measure from.</summary>
public sealed record BindTiming(string Kind, long StartedAt)
{
    public static BindTiming Resumed { get; } = new(BindMetrics.Resumed, 0);

    public static BindTiming Start(BindMetrics binds, string kind) => new(kind, binds.Started(kind));

    /// <summary>Counts a bind's outcome (bound or failed) with its kind and duration; the next bind is a resumed one unless started.</summary>
    public BindTiming After(BindMetrics binds, IFabricEvent e)
    {
        switch (e)
        {
            case AttachmentBindFailed failed:
                binds.Failed(Kind, failed.Reason, StartedAt);
                return Resumed;
            case AttachmentBound:
                binds.Succeeded(Kind, StartedAt);
                return Resumed;
            default:
                return this;
        }
    }
}
