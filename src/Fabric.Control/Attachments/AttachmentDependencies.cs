using Akka.Actor;

namespace Fabric.Control.Attachments;

/// <summary>What an attachment talks to: the device and profile regions and this node's capacity read model.</summary>
public sealed record AttachmentDependencies(IActorRef Devices, IActorRef Profiles, IActorRef Placement, TimeSpan AskTimeout);
