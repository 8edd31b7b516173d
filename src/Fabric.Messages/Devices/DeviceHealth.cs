namespace Fabric.Messages.Devices;

public enum DeviceHealth
{
    Healthy,
    Degraded,
    Failed,
    /// <summary>The node that hosts the device left the cluster or was downed.</summary>
    Lost,
}
