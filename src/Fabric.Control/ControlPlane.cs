using Akka.Actor;
using Akka.Hosting;
using Fabric.Control.Hosting;

namespace Fabric.Control;

/// <summary>
/// The AML's actors on one node, as the gateways, the node agent and the node-loss watcher reach them: the four shard
/// regions (hosting entities on <c>control</c> nodes, proxies elsewhere) and, on control nodes, the capacity read model
/// that placement asks. Akka.Hosting starts them (<see cref="ControlPlaneHosting"/>); this is their view from the
/// ActorRegistry, a plain value that tests can also build from probes.
/// </summary>
public sealed record ControlPlane(IActorRef Devices, IActorRef Profiles, IActorRef Attachments, IActorRef Pipelines, IActorRef? Placement)
{
    /// <summary>Control nodes only: which profiles exist.</summary>
    public IActorRef? ProfileIndex { get; init; }

    /// <summary>Control nodes only: which attachments exist, by VM.</summary>
    public IActorRef? AttachmentIndex { get; init; }

    /// <summary>Control nodes only: which pipelines exist, by attachment.</summary>
    public IActorRef? PipelineIndex { get; init; }

    public const string ControlRole = "control";
    public const string ReadJournalId = "akka.persistence.query.journal.sql";

    /// <summary>How long an entity waits for another entity (or the read model) before it counts a timeout.</summary>
    public static readonly TimeSpan EntityAskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The AML as <see cref="Hosting.ControlPlaneHosting"/> registered it on this node: regions (or proxies) always, the
    /// read side only on a control node.
    /// </summary>
    public static ControlPlane From(IReadOnlyActorRegistry registry) =>
        new(registry.Get<DeviceRegion>(), registry.Get<ProfileRegion>(), registry.Get<AttachmentRegion>(), registry.Get<PipelineRegion>(),
            Find<PlacementModel>(registry))
        {
            ProfileIndex = Find<Hosting.ProfileIndex>(registry),
            AttachmentIndex = Find<Hosting.AttachmentIndex>(registry),
            PipelineIndex = Find<Hosting.PipelineIndex>(registry),
        };

    private static IActorRef? Find<TMarker>(IReadOnlyActorRegistry registry) => registry.TryGet<TMarker>(out var actor) ? actor : null;
}
