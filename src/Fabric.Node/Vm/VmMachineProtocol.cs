using Fabric.Messages.Attachments;
using Fabric.Messages.Node;

namespace Fabric.Node.Vm;

// Between a VmSaga, its node agent and the agent's VmMachines (in-process). Each ask is answered with its reply or a Rejected.

/// <summary>Start the VM's machine on its realized attachments. Answered with a running <see cref="VmMachineView"/>.</summary>
public sealed record StartMachine(string VmId, VmMachine Machine, IReadOnlyList<AttachmentView> Attachments);

/// <summary>
/// Stop the VM's machine cleanly (QMP power-down, quit, then kill by pid); <paramref name="Forget"/>: and drop its
/// record (the VM is deleted or leaves the host). Answered with <see cref="MachineStopped"/>, also when there is none.
/// </summary>
public sealed record StopMachine(string VmId, bool Forget);

/// <param name="Attachments">The attachments the machine was started with (empty when there was no machine).</param>
public sealed record MachineStopped(string VmId, IReadOnlyList<string> Attachments, VmMachineView? Last);

/// <summary>
/// A VM's machine died (QEMU exited or was killed) without being asked to: its queues are drained and its attachments
/// detached, keeping their reservation (the VIM deletes or spawns the VM again). Run as a VM command by a VmSaga.
/// </summary>
public sealed record ReleaseDeadVm(string VmId, string RequestId);

/// <summary>Answered with <see cref="MachineList"/>.</summary>
public sealed record GetMachines
{
    public static GetMachines Instance { get; } = new();
}

public sealed record MachineList(IReadOnlyList<VmMachineView> Machines);

/// <summary>A machine's child to VmMachines: its view changed; <paramref name="Died"/>: it stopped without being asked.</summary>
public sealed record MachineChanged(VmMachineView View, bool Died);
