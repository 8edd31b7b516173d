using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Cluster.Tools.Client;
using Fabric.Control.Gateway;
using Fabric.Control.Indexes;
using Fabric.Control.Nodes;
using Fabric.Messages.Attachments;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Profiles;
using Fabric.Control.Attachments;
using Fabric.Control.Devices;
using Fabric.Control.Pipelines;
using Fabric.Control.Placement;
using Fabric.Control.Store;
using Fabric.Control.Profiles;
using Fabric.Messages.Sharding;

namespace Fabric.Control;

/// <summary>
/// The AML on one node: the four shard regions (hosting entities on <c>control</c> nodes, proxies elsewhere) and,
/// on control nodes, the capacity read model that placement asks.
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

    public static ControlPlane Start(ActorSystem system)
    {
        var sharding = ClusterSharding.Get(system);
        var extractor = new FabricMessageExtractor();
        if (!Cluster.Get(system).SelfRoles.Contains(ControlRole))
        {
            return new ControlPlane(
                sharding.StartProxy(EntityTypes.Device, ControlRole, extractor),
                sharding.StartProxy(EntityTypes.Profile, ControlRole, extractor),
                sharding.StartProxy(EntityTypes.Attachment, ControlRole, extractor),
                sharding.StartProxy(EntityTypes.Pipeline, ControlRole, extractor),
                null);
        }

        var settings = ClusterShardingSettings.Create(system).WithRole(ControlRole);
        var rates = DeviceRates.From(system.Settings.Config);
        var devices = sharding.Start(EntityTypes.Device, id => DeviceActor.Props(id, rates), settings, extractor);
        var profiles = sharding.Start(EntityTypes.Profile, ProfileActor.Props, settings, extractor);
        var placement = system.ActorOf(CapacityReadModel.Props(ReadJournalId, rates), "placement");
        var deps = new AttachmentDependencies(devices, profiles, placement, EntityAskTimeout);
        var attachments = sharding.Start(EntityTypes.Attachment, id => AttachmentActor.Props(id, deps), settings, extractor);
        var pipelines = sharding.Start(EntityTypes.Pipeline, id => PipelineActor.Props(id, attachments, EntityAskTimeout), settings, extractor);
        var control = new ControlPlane(devices, profiles, attachments, pipelines, placement)
        {
            ProfileIndex = system.ActorOf(EntityIndex.Props(ReadJournalId, ProfileActor.IndexTag, e => e switch
            {
                ProfileCreated c => new IndexChange(c.Name, "", true),
                ProfileDeleted d => new IndexChange(d.Name, "", false),
                _ => null,
            }), "profile-index"),
            AttachmentIndex = system.ActorOf(EntityIndex.Props(ReadJournalId, AttachmentActor.IndexTag, e => e switch
            {
                AttachmentCreated c => new IndexChange(c.AttachmentId, c.VmId, true),
                AttachmentDeleted d => new IndexChange(d.AttachmentId, "", false),
                _ => null,
            }), "attachment-index"),
            PipelineIndex = system.ActorOf(EntityIndex.Props(ReadJournalId, PipelineActor.IndexTag, e => e switch
            {
                PipelineDefined d => new IndexChange(d.PipelineId, d.AttachmentId, true),
                PipelineDeleted d => new IndexChange(d.PipelineId, "", false),
                _ => null,
            }), "pipeline-index"),
        };
        system.ActorOf(ClusterSingletonManager.Props(
            NodeLossWatcher.Props(control), PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system).WithRole(ControlRole)),
            "node-loss-watcher");
        if (system.Settings.Config.GetString("fabric.persistence.provider") == "postgres")
        {
            system.ActorOf(PostgresWatch.Props(system.Settings.Config.GetString("fabric.persistence.postgres-connection-string")), PostgresWatch.Name);
        }

        var gateway = system.ActorOf(VimGateway.Props(control), VimGateway.Name);
        ClusterClientReceptionist.Get(system).RegisterService(gateway);
        var operatorGateway = system.ActorOf(OperatorGateway.Props(control), OperatorGateway.Name);
        ClusterClientReceptionist.Get(system).RegisterService(operatorGateway);
        return control;
    }
}
