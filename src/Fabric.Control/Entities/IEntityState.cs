using Fabric.Messages;

namespace Fabric.Control.Entities;

/// <summary>
/// What <see cref="FabricEntity{TState}"/> needs of an entity's state: the pure event function and the request log
/// that answers retries. The state owns both, so the entity does not hand them to its base one override at a time.
/// </summary>
public interface IEntityState<out TState>
    where TState : IEntityState<TState>
{
    RequestLog Requests { get; }

    /// <summary>The state after <paramref name="e"/> (pure).</summary>
    TState Apply(IFabricEvent e);

    TState WithRequests(RequestLog requests);
}
