namespace Fabric.Dataplane.Engine.Scheduling;

/// <summary>Serve <see cref="Queue"/> at <see cref="Level"/> from the next round on (run by its worker between bursts).</summary>
internal sealed class SetServiceLevelCommand(AcQueue queue, QueueServiceLevel level, TaskCompletionSource applied) : ControlCommand
{
    public AcQueue Queue { get; } = queue;
    public QueueServiceLevel Level { get; } = level;
    public TaskCompletionSource Applied { get; } = applied;
}
