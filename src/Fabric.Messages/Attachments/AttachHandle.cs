namespace Fabric.Messages.Attachments;

/// <summary>What a guest needs to open its channel: reported by the node that realized the attachment.</summary>
/// <param name="ChannelPath">Where the guest gets the channel: a Unix socket on <paramref name="Node"/> that hands over the
/// sealed channel (docs/channel-abi.md); a channel file only when the node runs in the debugging path mode.
/// <c>GuestChannel.Open</c> takes either.</param>
public record AttachHandle(
    string Node,
    string ChannelPath,
    int AbiVersion,
    int SubmissionRingSize,
    int CompletionRingSize,
    int SlotCount,
    int SlotSize)
{
    /// <summary>Set for a PCI realization (<see cref="PciAttachHandle"/>).</summary>
    public virtual string? PciAddress => null;

    /// <summary>Set for a vhost-user realization (<see cref="VhostUserAttachHandle"/>).</summary>
    public virtual string? VhostUserSocket => null;
}

/// <summary>A PCI realization: a hardware VF handed to the VM whole; the channel fields are empty.</summary>
/// <param name="Address">The VF, <c>domain:bus:device.function</c>.</param>
public sealed record PciAttachHandle(string Node, string Address) : AttachHandle(Node, "", 0, 0, 0, 0, 0)
{
    public override string? PciAddress => Address;
}

/// <summary>
/// A vhost-user realization: the node's AC serves a virtio-crypto device on a vhost-user socket that the VM's
/// hypervisor (QEMU's <c>cryptodev-vhost-user</c>) connects to; the channel fields are empty (docs/vhost.md).
/// </summary>
/// <param name="SocketPath">The vhost-user socket on <paramref name="Node"/>.</param>
public sealed record VhostUserAttachHandle(string Node, string SocketPath) : AttachHandle(Node, "", 0, 0, 0, 0, 0)
{
    public override string? VhostUserSocket => SocketPath;
}
