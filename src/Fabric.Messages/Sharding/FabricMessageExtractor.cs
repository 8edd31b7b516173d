using Akka.Cluster.Sharding;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Profiles;

namespace Fabric.Messages.Sharding;

/// <summary>
/// Routes every entity message by the id its marker interface names. The shard count must never change on a
/// running cluster: about ten shards per node we expect (a few nodes), so 50.
/// </summary>
public sealed class FabricMessageExtractor : HashCodeMessageExtractor
{
    public const int ShardCount = 50;

    public FabricMessageExtractor()
        : base(ShardCount)
    {
    }

    public override string? EntityId(object message) => message switch
    {
        IDeviceMessage m => m.DeviceId,
        IProfileMessage m => m.Name,
        IAttachmentMessage m => m.AttachmentId,
        IPipelineMessage m => m.PipelineId,
        _ => null,
    };
}
