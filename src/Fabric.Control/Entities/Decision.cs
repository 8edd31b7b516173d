using Fabric.Messages;
using Fabric.Messages.Errors;

namespace Fabric.Control.Entities;

/// <summary>What a state decides for a command: refuse it, persist events, or nothing to change.</summary>
public sealed record Decision(IReadOnlyList<IFabricEvent> Events, Rejected? Rejection)
{
    public static Decision Unchanged { get; } = new([], null);

    public static Decision Persist(params IFabricEvent[] events) => new(events, null);

    public static Decision Reject(RejectReason reason, string message) => new([], new Rejected(reason, message));

    public bool IsRejected => Rejection is not null;
}
