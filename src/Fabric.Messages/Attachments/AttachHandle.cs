namespace Fabric.Messages.Attachments;

/// <summary>What a guest needs to open its channel: reported by the node that realized the attachment.</summary>
/// <param name="ChannelPath">Where the guest gets the channel: a Unix socket on <paramref name="Node"/> that hands over the
/// sealed channel (docs/channel-abi.md); a channel file only when the node runs in the debugging path mode.
/// <c>GuestChannel.Open</c> takes either.</param>
/// <param name="PciAddress">Set for a PCI realization (a hardware VF handed to the VM, <c>domain:bus:device.function</c>);
/// the channel fields are then empty.</param>
public sealed record AttachHandle(
    string Node,
    string ChannelPath,
    int AbiVersion,
    int SubmissionRingSize,
    int CompletionRingSize,
    int SlotCount,
    int SlotSize,
    string? PciAddress = null);
