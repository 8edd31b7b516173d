namespace Fabric.Messages.Attachments;

/// <summary>What a guest needs to open its channel: reported by the node that realized the attachment.</summary>
public sealed record AttachHandle(
    string Node,
    string ChannelPath,
    int AbiVersion,
    int SubmissionRingSize,
    int CompletionRingSize,
    int SlotCount,
    int SlotSize);
