using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Engine;

/// <summary>A request to a worker, carried by its lock-free control queue and run between bursts.</summary>
internal abstract class ControlCommand
{
}

internal sealed class AddQueueCommand(AcQueue queue, TaskCompletionSource added) : ControlCommand
{
    public AcQueue Queue { get; } = queue;
    public TaskCompletionSource Added { get; } = added;
}

internal sealed class RemoveQueueCommand(AcQueue queue, TimeSpan drainTimeout, TaskCompletionSource<QueueRemoval> removed) : ControlCommand
{
    public AcQueue Queue { get; } = queue;
    public TimeSpan DrainTimeout { get; } = drainTimeout;
    public TaskCompletionSource<QueueRemoval> Removed { get; } = removed;
}

internal sealed class SwapDriverCommand(AcQueue queue, IGDriver driver, TaskCompletionSource<IGDriver> swapped) : ControlCommand
{
    public AcQueue Queue { get; } = queue;
    public IGDriver Driver { get; } = driver;
    public TaskCompletionSource<IGDriver> Swapped { get; } = swapped;
}

internal sealed class ArmStandbyCommand(AcQueue queue, IGDriver? driver, string? deviceId, TaskCompletionSource<IGDriver?> armed) : ControlCommand
{
    public AcQueue Queue { get; } = queue;
    public IGDriver? Driver { get; } = driver;
    public string? DeviceId { get; } = deviceId;
    public TaskCompletionSource<IGDriver?> Armed { get; } = armed;
}

internal sealed class StopCommand : ControlCommand
{
    public static StopCommand Instance { get; } = new();
}
