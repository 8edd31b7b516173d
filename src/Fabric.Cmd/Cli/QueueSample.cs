using Fabric.Messages.Node;

namespace Fabric.Cmd.Cli;

/// <summary>
/// One queue as last read, with its rates since the reading before. A rate is null when there is no earlier reading
/// of the same queue, or its counters went back (the queue was re-created). <see cref="BytesPerSecond"/> counts the
/// bytes the guest sent in (of the operations that succeeded).
/// </summary>
public sealed record QueueSample(string Node, NodeQueue Queue, double? OpsPerSecond, double? ErrorsPerSecond, double? BytesPerSecond);
