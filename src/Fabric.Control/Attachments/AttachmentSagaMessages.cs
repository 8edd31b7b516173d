using Fabric.Control.Entities;
using Fabric.Messages.Attachments;

namespace Fabric.Control.Attachments;

// What an attachment's saga tells itself (piped answers of the asks it makes): never sent across processes.

/// <summary>An answer a saga step waits for: <see cref="AttachmentSaga.After"/> decides the next step from it.</summary>
internal interface ISagaOutcome;

internal sealed record ProfileLookedUp(CreateAttachment Command, object Reply) : ISagaOutcome;

internal sealed record CandidatesFound(IReadOnlyList<string> DeviceIds, string? Host, string? NoneBecause) : ISagaOutcome;

internal sealed record ReserveOutcome(string DeviceId, object Reply) : ISagaOutcome;

internal sealed record ReleaseOutcome(string DeviceId, object Reply) : ISagaOutcome;

internal sealed record RatesOutcome(Decision Decision, object Reply) : ISagaOutcome;

internal sealed record ResumeSaga
{
    public static ResumeSaga Instance { get; } = new();
}
