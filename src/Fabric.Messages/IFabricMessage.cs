namespace Fabric.Messages;

/// <summary>
/// Marker for everything that crosses a process boundary or lands in the journal: commands, events,
/// queries, replies and snapshots. The serialization binding in hocon/serialization.conf selects Hyperion by it.
/// </summary>
public interface IFabricMessage
{
}

/// <summary>A command: it carries a request id, and a retry with the same id gets the first answer.</summary>
public interface IFabricCommand : IFabricMessage
{
    string RequestId { get; }
}

/// <summary>A journal event. The request id of the command that caused it lets a recovered entity answer retries.</summary>
public interface IFabricEvent : IFabricMessage
{
    string RequestId { get; }
}
