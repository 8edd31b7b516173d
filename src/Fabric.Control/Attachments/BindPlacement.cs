using System.Collections.Immutable;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;

namespace Fabric.Control.Attachments;

/// <summary>
/// The placement side of one bind saga, as a pure record: the candidates still to try (none listed yet after a
/// restart), the devices tried, those that refused for capacity, the round, and what the last refusal and placement
/// said (for the failed bind's message).
/// </summary>
public sealed record BindPlacement(
    ImmutableQueue<string>? Candidates,
    ImmutableList<string> Tried,
    ImmutableList<string> Full,
    string LastRefusal,
    string? NoneBecause,
    int Round)
{
    /// <summary>
    /// Placement rounds of one bind. Candidates are tried in turn and each device answers for itself at that moment, so
    /// when every candidate of a round refused for capacity, devices may have released since: the read model, which
    /// has heard the refusals and any newer facts, is asked once more. A round it answers with no candidate costs
    /// no device a question.
    /// </summary>
    public const int Rounds = 2;

    public static BindPlacement Start { get; } = new(null, [], [], "", null, 1);

    /// <summary>Placement's answer: the candidates not tried yet; its reason when none matched the groups' traits or resource classes.</summary>
    public BindPlacement Found(IEnumerable<string> deviceIds, string? noneBecause) => this with
    {
        Candidates = ImmutableQueue.CreateRange(deviceIds.Where(d => !Tried.Contains(d))),
        NoneBecause = noneBecause ?? NoneBecause,
    };

    /// <summary>The next candidate to ask, if any is left.</summary>
    public BindPlacement Next(out string? deviceId)
    {
        if (Candidates is { IsEmpty: false } candidates)
        {
            var rest = candidates.Dequeue(out var next);
            deviceId = next;
            return this with { Candidates = rest };
        }

        deviceId = null;
        return this;
    }

    public BindPlacement Refused(string deviceId, Rejected refusal) => this with
    {
        LastRefusal = refusal.Message,
        Tried = Tried.Add(deviceId),
        Full = refusal.Reason == RejectReason.NoCapacity ? Full.Add(deviceId) : Full,
    };

    /// <summary>Devices that were full may be asked again (those that did not answer, a release owed, may not).</summary>
    public bool MayAskAgain => !Full.IsEmpty && Round < Rounds;

    public BindPlacement AskAgain() => this with { Round = Round + 1, Tried = Tried.RemoveAll(Full.Contains), Full = [] };

    /// <summary>The saga is over: a later step (after a restart) lists candidates afresh.</summary>
    public BindPlacement Ended() => this with { Candidates = null };

    /// <summary>Never a device tried, nor one the attachment still owes a release to (binding there, the owed release would free the new hold), nor the one it leaves.</summary>
    public string[] Exclusions(AttachmentState state) => Tried
        .Concat(state.ReleasePending)
        .Concat(state.Status == AttachmentStatus.Rebinding && state.DeviceId is { } current ? [current] : Array.Empty<string>())
        .ToArray();

    /// <summary>Why the bind failed: no device matches, or none had room (and the rates to commit), with the last refusal.</summary>
    public string NoDevice(AttachmentState state, string? host)
    {
        var where = host is null ? "on any host" : $"on host {host}";
        return NoneBecause is not null && LastRefusal.Length == 0
            ? $"no device {where} matches: {NoneBecause}"
            : $"no device {where} {(state.Functions.Count > 0 ? "runs " + string.Join(", ", state.Functions) : "of the groups' traits")} with {state.QueuePairs} free queue pair(s)"
                + Uncommitted(state.Level ?? ServiceLevel.BestEffort)
                + (LastRefusal.Length > 0 ? $" (last refusal: {LastRefusal})" : "");
    }

    /// <summary>What a device must still be able to commit, for a failed bind's message.</summary>
    private static string Uncommitted(ServiceLevel l)
    {
        var rates = new[] { l.CommittedOpsPerSecond > 0 ? $"{l.CommittedOpsPerSecond} ops/s" : null, l.CommittedBytesPerSecond > 0 ? $"{l.CommittedBytesPerSecond} bytes/s" : null }
            .OfType<string>().ToArray();
        return rates.Length == 0 ? "" : $" and {string.Join(" and ", rates)} not yet committed";
    }
}
