using Fabric.Messages.Errors;

namespace Fabric.Control.Entities;

/// <summary>What an entity answers when its journal fails it: each says what happened and what the client does next.</summary>
public static class JournalRefusals
{
    /// <summary>
    /// A failed write is not known to be unwritten: a timeout or a lost connection may come after the commit (a
    /// delete refused so had been journaled and finished after the restart). The request log makes the retry safe.
    /// </summary>
    public static Rejected WriteFailed(string persistenceId, Exception cause) => new(
        RejectReason.PersistenceFailed,
        $"{persistenceId}: the store is failing, the journal could not confirm the change ({cause.Message}); it may have been written: "
        + "retry later with the same request id, which gets the first answer if it was");

    public static Rejected WriteRejected(string persistenceId, Exception cause) => new(
        RejectReason.PersistenceFailed,
        $"{persistenceId}: the journal rejected the change ({cause.Message}); nothing was changed");

    public static Rejected RecoveryFailed(string persistenceId, Exception cause) => new(
        RejectReason.PersistenceFailed,
        $"{persistenceId}: the store is failing, the entity could not read its state ({cause.Message}); nothing was changed, retry later");
}
