using Fabric.Control.Entities;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;

namespace Fabric.Control.Attachments;

/// <summary>
/// One step of an attachment's saga, decided by <see cref="AttachmentSaga"/> without actors: the placement after it,
/// what the capacity read model is told at once, an answer the requester gets at once (it then hears nothing more),
/// the events to journal, and what the saga does once they are in the journal.
/// </summary>
public sealed record SagaStep(BindPlacement Placement, IReadOnlyList<IFabricEvent> Events, SagaNext Then)
{
    public IReadOnlyList<IFabricMessage> ToPlacement { get; init; } = [];

    public Rejected? ToRequester { get; init; }
}

/// <summary>What a saga does after a step's events are journaled: ask another entity (its answer comes back piped), decide again, or end.</summary>
public abstract record SagaNext
{
    public static SagaNext Continue { get; } = new Decide();

    public static SagaNext NextCandidate { get; } = new TryCandidate();

    public static SagaNext End { get; } = new Finish();

    /// <summary>Take the next step the journaled state calls for (<see cref="AttachmentSaga.Continue"/>).</summary>
    public sealed record Decide : SagaNext;

    /// <summary>Ask the next candidate of this round, or placement again (<see cref="AttachmentSaga.NextCandidate"/>).</summary>
    public sealed record TryCandidate : SagaNext;

    /// <summary>The saga is over: the requester hears the request's logged answer.</summary>
    public sealed record Finish : SagaNext;

    public sealed record LookUpProfile(CreateAttachment Command) : SagaNext;

    public sealed record FindDevices(FindCandidates Query) : SagaNext;

    public sealed record Reserve(ReserveCapacity Command) : SagaNext;

    public sealed record Release(ReleaseCapacity Command) : SagaNext;

    /// <summary>The held device commits the new level's rates; <paramref name="Decision"/> is journaled once it has.</summary>
    public sealed record CommitLevel(Decision Decision, CommitRates Command) : SagaNext;

    /// <summary>A release the device did not confirm: the saga ends and is resumed later, the release still owed.</summary>
    public sealed record RetryRelease(string DeviceId, object Reply) : SagaNext;
}

/// <summary>How a command opens a saga: answered at once (<paramref name="Answer"/>: refused, or its events then the view), or a saga's first step.</summary>
public sealed record SagaOpening(Decision? Answer, SagaStep? Start, string? BindKind = null)
{
    /// <summary>Nothing to do (a resume with no step owed).</summary>
    public static SagaOpening Nothing { get; } = new(null, null);

    public static SagaOpening Answered(Decision decision) => new(decision, null);

    public static SagaOpening Refused(Rejected rejected) => new(new Decision([], rejected), null);

    public static SagaOpening Starts(SagaNext then, IReadOnlyList<IFabricEvent>? events = null, string? bindKind = null) =>
        new(null, new SagaStep(BindPlacement.Start, events ?? [], then), bindKind);
}
