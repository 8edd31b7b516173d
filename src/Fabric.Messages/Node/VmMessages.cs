using Fabric.Messages.Attachments;

namespace Fabric.Messages.Node;

/// <summary>One accelerator of a VM: its attachment and the chain its queue runs (stages joined by "->").</summary>
/// <param name="Pipeline">Null: the attachment's profile functions, in group order.</param>
public sealed record VmAccelerator(string AttachmentId, string? Pipeline);

/// <summary>
/// To the node agent of the host a VM starts on: bind (or re-bind, after a move) and realize each accelerator,
/// then answer <see cref="VmRealized"/>; the VM is reported running only after that answer.
/// </summary>
/// <param name="Machine">Null: the VIM runs the VM itself (fabric-guest processes); set: the node agent starts it (QEMU) after realizing the accelerators.</param>
public sealed record SpawnVm(string VmId, IReadOnlyList<VmAccelerator> Accelerators, string RequestId, VmMachine? Machine = null) : IFabricCommand;

/// <summary>
/// The machine the node agent starts for a VM, as Nova's libvirt driver would on the compute host: a QEMU guest whose
/// virtio-crypto devices are the VM's vhost-user attachments. Untrusted: the node checks every field.
/// </summary>
/// <param name="Hypervisor">"qemu".</param>
/// <param name="MemoryMiB">Guest RAM, 64 to the node's limit.</param>
/// <param name="Vcpus">1 to the node's limit.</param>
/// <param name="ImageDir">A folder on the host holding vmlinuz and initrd.gz (scripts/guest-image.sh); null: the node's default image.</param>
/// <param name="GuestArgs">Extra kernel arguments for the guest, each <c>fabric.NAME=VALUE</c> (e.g. fabric.seconds=2, fabric.hold=1).</param>
public sealed record VmMachine(string Hypervisor, int MemoryMiB, int Vcpus, string? ImageDir, IReadOnlyList<string> GuestArgs);

/// <summary>A VM machine the node agent started, as it is now.</summary>
/// <param name="State">"starting", "running" or "stopped".</param>
/// <param name="Accelerator">"kvm" or "tcg".</param>
/// <param name="ExitCode">QEMU's exit code once stopped (null while it runs, or when it was killed).</param>
/// <param name="Reason">Why it stopped: "deleted", "powered off", "exited with N", "killed".</param>
public sealed record VmMachineView(
    string VmId,
    string Node,
    string Hypervisor,
    string State,
    int Pid,
    string ConsoleLog,
    string Accelerator,
    int MemoryMiB,
    int Vcpus,
    IReadOnlyList<string> VirtioCryptoSockets,
    IReadOnlyList<string> Attachments,
    int? ExitCode,
    string? Reason);

/// <summary>Hot-add: one more accelerator for a running VM.</summary>
public sealed record AddVmAccelerator(string VmId, VmAccelerator Accelerator, string RequestId) : IFabricCommand;

/// <summary>
/// The VM stopped on this host: its queues are drained and removed and its attachments detached.
/// With <paramref name="DeleteAttachments"/> (VM deleted) the attachments are deleted and their capacity released;
/// without it (VM moving away) they keep their reservation until the new host re-binds them.
/// </summary>
public sealed record StopVm(string VmId, bool DeleteAttachments, string RequestId) : IFabricCommand;

/// <param name="Machine">The machine the node started for the VM (a spawn with a <see cref="VmMachine"/>); null otherwise.</param>
public sealed record VmRealized(string VmId, string Node, IReadOnlyList<AttachmentView> Attachments, VmMachineView? Machine = null) : IFabricMessage;

public sealed record VmStopped(string VmId, string Node, IReadOnlyList<string> Attachments, long CompletedWhileDraining) : IFabricMessage;
