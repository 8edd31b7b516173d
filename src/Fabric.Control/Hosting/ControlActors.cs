namespace Fabric.Control.Hosting;

// The keys of the control plane's actors in a node's ActorRegistry (Akka.Hosting): IRequiredActor<DeviceRegion> and so on.
// Markers only; the actors are DeviceActor's shard region, the capacity read model, the entity indexes, the gateways.

/// <summary>The <c>device</c> shard region (a proxy on a node without the control role).</summary>
public sealed class DeviceRegion;

/// <summary>The <c>profile</c> shard region (a proxy on a node without the control role).</summary>
public sealed class ProfileRegion;

/// <summary>The <c>attachment</c> shard region (a proxy on a node without the control role).</summary>
public sealed class AttachmentRegion;

/// <summary>The <c>pipeline</c> shard region (a proxy on a node without the control role).</summary>
public sealed class PipelineRegion;

/// <summary>Control nodes only: the capacity read model placement asks.</summary>
public sealed class PlacementModel;

/// <summary>Control nodes only: which profiles exist.</summary>
public sealed class ProfileIndex;

/// <summary>Control nodes only: which attachments exist, by VM.</summary>
public sealed class AttachmentIndex;

/// <summary>Control nodes only: which pipelines exist, by attachment.</summary>
public sealed class PipelineIndex;

/// <summary>Control nodes only: the gateway a VIM's cluster client talks to.</summary>
public sealed class VimGatewayActor;

/// <summary>Control nodes only: the gateway fabric-cmd and fabric-api talk to.</summary>
public sealed class OperatorGatewayActor;

/// <summary>Compute nodes only: the node agent (its remote path is <see cref="Nodes.NodeAgentPath"/>).</summary>
public sealed class NodeAgentActor;
