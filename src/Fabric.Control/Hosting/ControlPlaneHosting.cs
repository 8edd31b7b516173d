using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.Client;
using Akka.Hosting;
using Fabric.Control.Attachments;
using Fabric.Control.Devices;
using Fabric.Control.Gateway;
using Fabric.Control.Indexes;
using Fabric.Control.Nodes;
using Fabric.Control.Pipelines;
using Fabric.Control.Placement;
using Fabric.Control.Profiles;
using Fabric.Control.Store;
using Fabric.Messages.Attachments;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Profiles;
using Fabric.Messages.Sharding;

namespace Fabric.Control.Hosting;

/// <summary>
/// The AML on one node, as Akka.Hosting starts it: the four shard regions (entities on <c>control</c> nodes, proxies
/// elsewhere) and, on control nodes, the capacity read model, the entity indexes, the node-loss singleton and the two
/// gateways. Each is registered in the ActorRegistry under its marker (ControlActors.cs), in this order:
/// an entity's props read the regions registered before it.
/// </summary>
public static class ControlPlaneHosting
{
    public static AkkaConfigurationBuilder WithControlPlane(this AkkaConfigurationBuilder builder, bool control)
    {
        var extractor = new FabricMessageExtractor();
        if (!control)
        {
            return builder
                .WithShardRegionProxy<DeviceRegion>(EntityTypes.Device, ControlPlane.ControlRole, extractor)
                .WithShardRegionProxy<ProfileRegion>(EntityTypes.Profile, ControlPlane.ControlRole, extractor)
                .WithShardRegionProxy<AttachmentRegion>(EntityTypes.Attachment, ControlPlane.ControlRole, extractor)
                .WithShardRegionProxy<PipelineRegion>(EntityTypes.Pipeline, ControlPlane.ControlRole, extractor);
        }

        // Role only: every other sharding setting comes from hocon/sharding.conf, as before.
        var shards = new ShardOptions { Role = ControlPlane.ControlRole };
        return builder
            .WithShardRegion<DeviceRegion>(EntityTypes.Device, (system, _, _) =>
            {
                var rates = DeviceRates.From(system.Settings.Config);
                return id => DeviceActor.Props(id, rates);
            }, extractor, shards)
            .WithShardRegion<ProfileRegion>(EntityTypes.Profile, (_, _, _) => ProfileActor.Props, extractor, shards)
            .WithActors((system, registry) => registry.Register<PlacementModel>(
                system.ActorOf(CapacityReadModel.Props(ControlPlane.ReadJournalId, DeviceRates.From(system.Settings.Config)), "placement")))
            .WithShardRegion<AttachmentRegion>(EntityTypes.Attachment, (_, registry, _) =>
            {
                var deps = new AttachmentDependencies(registry.Get<DeviceRegion>(), registry.Get<ProfileRegion>(), registry.Get<PlacementModel>(),
                    ControlPlane.EntityAskTimeout);
                return id => AttachmentActor.Props(id, deps);
            }, extractor, shards)
            .WithShardRegion<PipelineRegion>(EntityTypes.Pipeline, (_, registry, _) =>
            {
                var attachments = registry.Get<AttachmentRegion>();
                return id => PipelineActor.Props(id, attachments, ControlPlane.EntityAskTimeout);
            }, extractor, shards)
            .WithActors((system, registry) =>
            {
                registry.Register<ProfileIndex>(system.ActorOf(EntityIndex.Props(ControlPlane.ReadJournalId, ProfileActor.IndexTag, e => e switch
                {
                    ProfileCreated c => new IndexChange(c.Name, "", true),
                    ProfileDeleted d => new IndexChange(d.Name, "", false),
                    _ => null,
                }), "profile-index"));
                registry.Register<AttachmentIndex>(system.ActorOf(EntityIndex.Props(ControlPlane.ReadJournalId, AttachmentActor.IndexTag, e => e switch
                {
                    AttachmentCreated c => new IndexChange(c.AttachmentId, c.VmId, true),
                    AttachmentDeleted d => new IndexChange(d.AttachmentId, "", false),
                    _ => null,
                }), "attachment-index"));
                registry.Register<PipelineIndex>(system.ActorOf(EntityIndex.Props(ControlPlane.ReadJournalId, PipelineActor.IndexTag, e => e switch
                {
                    PipelineDefined d => new IndexChange(d.PipelineId, d.AttachmentId, true),
                    PipelineDeleted d => new IndexChange(d.PipelineId, "", false),
                    _ => null,
                }), "pipeline-index"));
            })
            .WithSingleton<NodeLossWatcher>("node-loss-watcher", (_, registry, _) => NodeLossWatcher.Props(ControlPlane.From(registry)),
                new ClusterSingletonOptions { Role = ControlPlane.ControlRole, TerminationMessage = PoisonPill.Instance }, createProxyToo: false)
            .WithActors((system, registry) =>
            {
                if (system.Settings.Config.GetString("fabric.persistence.provider") == "postgres")
                {
                    system.ActorOf(PostgresWatch.Props(system.Settings.Config.GetString("fabric.persistence.postgres-connection-string")), PostgresWatch.Name);
                }

                var plane = ControlPlane.From(registry);
                var receptionist = ClusterClientReceptionist.Get(system);
                var vim = system.ActorOf(VimGateway.Props(plane), VimGateway.Name);
                receptionist.RegisterService(vim);
                registry.Register<VimGatewayActor>(vim);
                var operatorGateway = system.ActorOf(OperatorGateway.Props(plane), OperatorGateway.Name);
                receptionist.RegisterService(operatorGateway);
                registry.Register<OperatorGatewayActor>(operatorGateway);
            });
    }
}
