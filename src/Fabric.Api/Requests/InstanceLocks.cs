using System.Collections.Concurrent;

namespace Fabric.Api.Requests;

/// <summary>
/// One bind, unbind or delete at a time per instance in this process: a bind holds its instance until its background work
/// has ended, so an unbind or delete of the instance waits for it instead of racing it. Taken in order, so never deadlocked.
/// </summary>
public sealed class InstanceLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public async Task<IReadOnlyDictionary<string, IDisposable>> Acquire(IEnumerable<string> instances, CancellationToken cancellation)
    {
        var held = new Dictionary<string, IDisposable>(StringComparer.Ordinal);
        try
        {
            foreach (var instance in instances.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var gate = _locks.GetOrAdd(instance, _ => new SemaphoreSlim(1, 1));
                await gate.WaitAsync(cancellation);
                held[instance] = new Releaser(gate);
            }
        }
        catch
        {
            foreach (var releaser in held.Values)
            {
                releaser.Dispose();
            }

            throw;
        }

        return held;
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
