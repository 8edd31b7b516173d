using Akka.Actor;
using Akka.Serialization;
using Fabric.Messages.Attachments;
using Fabric.Messages.Cluster;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Operator;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Messages.Vim;

namespace Fabric.Messages.Serialization;

/// <summary>
/// Types Hyperion pre-registers: their manifest on the wire and in the journal is then a short index instead of
/// a type name. The index is the position in this list, so the list is append-only: a type removed or reordered
/// would make old journal rows unreadable. A test checks that every message type is listed.
/// Named in hocon/serialization.conf as <c>known-types-provider</c>.
/// </summary>
public sealed class FabricKnownTypes : IKnownTypesProvider
{
    public FabricKnownTypes(ExtendedActorSystem system)
    {
        _ = system;
    }

    public IEnumerable<Type> GetKnownTypes() => All;

    public static IReadOnlyList<Type> All { get; } =
    [
        typeof(Rejected),
        typeof(RejectReason),
        typeof(RegisterDevice),
        typeof(SetDeviceHealth),
        typeof(ReserveCapacity),
        typeof(ReleaseCapacity),
        typeof(GetDevice),
        typeof(DeviceRegistered),
        typeof(DeviceHealthChanged),
        typeof(DeviceCapacityReserved),
        typeof(DeviceCapacityReleased),
        typeof(DeviceView),
        typeof(DeviceHealth),
        typeof(CapacityReserved),
        typeof(CapacityReleased),
        typeof(ProfileGroup),
        typeof(CreateProfile),
        typeof(DeleteProfile),
        typeof(GetProfile),
        typeof(ProfileCreated),
        typeof(ProfileDeleted),
        typeof(ProfileView),
        typeof(AttachHandle),
        typeof(AttachmentStatus),
        typeof(CreateAttachment),
        typeof(BindAttachment),
        typeof(MarkAttached),
        typeof(DetachAttachment),
        typeof(RebindAttachment),
        typeof(FailAttachment),
        typeof(DeleteAttachment),
        typeof(GetAttachment),
        typeof(AttachmentCreated),
        typeof(AttachmentDeviceChosen),
        typeof(AttachmentBound),
        typeof(AttachmentBindFailed),
        typeof(AttachmentAttached),
        typeof(AttachmentDetached),
        typeof(AttachmentRebindStarted),
        typeof(AttachmentFailed),
        typeof(AttachmentDeleted),
        typeof(AttachmentDeviceReleased),
        typeof(AttachmentView),
        typeof(DefinePipeline),
        typeof(DeletePipeline),
        typeof(GetPipeline),
        typeof(PipelineDefined),
        typeof(PipelineDeleted),
        typeof(PipelineView),
        typeof(FindCandidates),
        typeof(Candidates),
        typeof(CapacityObserved),
        typeof(GetCapacity),
        typeof(DeviceCapacity),
        typeof(CapacitySnapshot),
        typeof(DeviceRefused),
        typeof(VmAccelerator),
        typeof(SpawnVm),
        typeof(AddVmAccelerator),
        typeof(StopVm),
        typeof(VmRealized),
        typeof(VmStopped),
        typeof(GetNodeStatus),
        typeof(NodeDevice),
        typeof(NodeQueue),
        typeof(NodeStatus),
        typeof(InjectDeviceFault),
        typeof(RepairDevice),
        typeof(ListProfiles),
        typeof(ProfileList),
        typeof(ListAttachments),
        typeof(AttachmentList),
        typeof(ListDevices),
        typeof(DeviceList),
        typeof(VmSpawnRequested),
        typeof(VmDeleteRequested),
        typeof(VmMoveRequested),
        typeof(SubscribeEvents),
        typeof(EventsSubscribed),
        typeof(GatewayInfo),
        typeof(GetGatewayInfo),
        typeof(AttachmentBoundEvent),
        typeof(AttachmentBindFailedEvent),
        typeof(AttachmentFailedEvent),
        typeof(DeviceHealthEvent),
        typeof(SetDeviceEnabled),
        typeof(DeviceEnabledChanged),
        typeof(GetClusterState),
        typeof(ClusterMemberView),
        typeof(ClusterStateView),
        typeof(LeaveMember),
        typeof(DownMember),
        typeof(MemberCommandAccepted),
        typeof(SubscribeClusterEvents),
        typeof(ClusterEventsSubscribed),
        typeof(ClusterMemberEvent),
        typeof(GetShardingStats),
        typeof(ShardView),
        typeof(ShardRegionView),
        typeof(EntityTypeShards),
        typeof(ShardingStatsView),
        typeof(GetNodeStatusOf),
        typeof(ListPipelines),
        typeof(PipelineList),
        typeof(ProgramDevice),
        typeof(GetMetrics),
        typeof(GetNodeMetrics),
        typeof(MetricKind),
        typeof(MetricTag),
        typeof(MetricHistogram),
        typeof(MetricSample),
        typeof(NodeMetrics),
        typeof(MetricsReport),
        typeof(GetFingerprint),
        typeof(NodeFingerprint),
        typeof(AttachmentReservationUnconfirmed),
        typeof(RequestBind),
        typeof(MarkBindReported),
        typeof(AttachmentBindRequested),
        typeof(AttachmentBindReported),
        typeof(BindRequest),
        typeof(SetDeviceTraits),
        typeof(DeviceTraitsChanged),
        typeof(ConstrainedGroup),
        typeof(RegisterDeviceWithTraits),
        typeof(DeviceHostTraitsChanged),
        typeof(TraitedDeviceView),
        typeof(PciAttachHandle),

        // Appended, never inserted: a known type is written as its index in this list.
        typeof(AttachmentProjectSet),
        typeof(ProfileProjectSet),
        typeof(ServiceLevel),
        typeof(ServiceClass),
        typeof(SetQueueServiceLevel),
        typeof(AttachmentServiceLevelSet),
        typeof(SetAttachmentServiceLevel),
        typeof(ProfileServiceLevelSet),
        typeof(ReserveCommittedCapacity),
        typeof(CommitRates),
        typeof(DeviceRatesCommitted),
        typeof(RatedDeviceView),
        typeof(ApplyServiceLevel),
        typeof(NodeQueueService),
        typeof(VhostUserAttachHandle),
        typeof(VmMachine),
        typeof(VmMachineView),
    ];
}
