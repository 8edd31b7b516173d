namespace Fabric.Node.Compute;

/// <summary>A device's driver failed operations: its g-driver actor throws this so its supervisor resets it.</summary>
public sealed class DeviceFaultException(string deviceId, string message) : Exception($"device {deviceId}: {message}")
{
    public string DeviceId { get; } = deviceId;
}
