namespace Fabric.Messages.Errors;

/// <summary>Why a command was refused. Stable names: scripts and the VIM branch on them.</summary>
public enum RejectReason
{
    /// <summary>A field is missing, empty, out of range or malformed.</summary>
    InvalidArgument,
    /// <summary>A function name that no g-driver implements.</summary>
    UnknownFunction,
    /// <summary>The entity the command names does not exist (or was deleted).</summary>
    NotFound,
    /// <summary>An entity with that id exists already with other content.</summary>
    AlreadyExists,
    /// <summary>No device with the needed functions has free queue pairs.</summary>
    NoCapacity,
    /// <summary>The entity's state does not allow the command (e.g. delete while attached).</summary>
    IllegalState,
    /// <summary>The device is Failed, Lost or disabled.</summary>
    DeviceUnavailable,
    /// <summary>The device cannot run a requested function.</summary>
    FunctionNotSupported,
    /// <summary>The store is failing: the journal refused or could not confirm the write, or the entity could not read its state. The message says whether the change may have been written; retry later with the same request id.</summary>
    PersistenceFailed,
    /// <summary>A collaborator did not answer in time; the command may be retried with the same request id.</summary>
    Timeout,
    /// <summary>The control node that held the request is shutting down; retry with the same request id (another node answers).</summary>
    NodeLeaving,
    /// <summary>The answer would not fit in one remoting frame (e.g. one item alone is that large); ask for less.</summary>
    ReplyTooLarge,
}
