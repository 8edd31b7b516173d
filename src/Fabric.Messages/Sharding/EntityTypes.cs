namespace Fabric.Messages.Sharding;

/// <summary>Shard region type names. They are part of the cluster's persistent identity: never rename them.</summary>
public static class EntityTypes
{
    public const string Device = "device";
    public const string Profile = "device-profile";
    public const string Attachment = "attachment";
    public const string Pipeline = "pipeline";
}
