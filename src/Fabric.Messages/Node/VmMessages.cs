using Fabric.Messages.Attachments;

namespace Fabric.Messages.Node;

/// <summary>One accelerator of a VM: its attachment and the chain its queue runs (stages joined by "->").</summary>
/// <param name="Pipeline">Null: the attachment's profile functions, in group order.</param>
public sealed record VmAccelerator(string AttachmentId, string? Pipeline);

/// <summary>
/// To the node agent of the host a VM starts on: bind (or re-bind, after a move) and realize each accelerator,
/// then answer <see cref="VmRealized"/>; the VM is reported running only after that answer.
/// </summary>
public sealed record SpawnVm(string VmId, IReadOnlyList<VmAccelerator> Accelerators, string RequestId) : IFabricCommand;

/// <summary>Hot-add: one more accelerator for a running VM.</summary>
public sealed record AddVmAccelerator(string VmId, VmAccelerator Accelerator, string RequestId) : IFabricCommand;

/// <summary>
/// The VM stopped on this host: its queues are drained and removed and its attachments detached.
/// With <paramref name="DeleteAttachments"/> (VM deleted) the attachments are deleted and their capacity released;
/// without it (VM moving away) they keep their reservation until the new host re-binds them.
/// </summary>
public sealed record StopVm(string VmId, bool DeleteAttachments, string RequestId) : IFabricCommand;

public sealed record VmRealized(string VmId, string Node, IReadOnlyList<AttachmentView> Attachments) : IFabricMessage;

public sealed record VmStopped(string VmId, string Node, IReadOnlyList<string> Attachments, long CompletedWhileDraining) : IFabricMessage;
