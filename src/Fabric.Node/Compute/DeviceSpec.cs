namespace Fabric.Node.Compute;

/// <summary>A device this node serves, as its g-driver actor sees it.</summary>
/// <param name="FaultInjecting">The device's driver instances are wrapped in the fault-injecting driver.</param>
public sealed record DeviceSpec(string DeviceId, string Name, string Type, IReadOnlyList<string> Functions, int QueuePairs, bool FaultInjecting);
