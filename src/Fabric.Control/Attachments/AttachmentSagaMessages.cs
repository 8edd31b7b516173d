using Fabric.Control.Entities;
using Fabric.Messages.Attachments;

namespace Fabric.Control.Attachments;

// What an attachment's saga tells itself (piped answers of the asks it makes): never sent across processes.

internal sealed record ProfileLookedUp(CreateAttachment Command, object Reply);

internal sealed record CandidatesFound(IReadOnlyList<string> DeviceIds, string? Host, string? NoneBecause);

internal sealed record ReserveOutcome(string DeviceId, object Reply);

internal sealed record ReleaseOutcome(string DeviceId, object Reply);

internal sealed record RatesOutcome(Decision Decision, object Reply);

internal sealed record ResumeSaga
{
    public static ResumeSaga Instance { get; } = new();
}
