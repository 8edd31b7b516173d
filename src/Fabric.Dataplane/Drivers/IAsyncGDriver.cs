namespace Fabric.Dataplane.Drivers;

/// <summary>
/// The asynchronous g-driver contract, cryptodev's enqueue/dequeue shape: the AC submits a burst of ops and polls
/// for completions later, so a device keeps many ops in flight and the worker never waits on one. Completions may
/// come back in any order (the AC restores submission order per queue). Called from the queue's worker thread only;
/// <see cref="Submit"/>, <see cref="Poll"/> and <see cref="Abandon"/> must neither allocate nor block.
/// A driver that implements only <see cref="IGDriver"/> is the synchronous case: the AC runs it through
/// <see cref="SyncDriverAdapter"/>, where every op completes inside Submit.
/// </summary>
public interface IAsyncGDriver : IGDriver
{
    /// <summary>Most ops this driver holds at once (submitted, not yet polled back); the AC never exceeds it.</summary>
    int MaxInFlight { get; }

    /// <summary>
    /// Takes ops from the front of <paramref name="requests"/> and returns how many it took (0: busy, the AC retries
    /// later). Each op taken completes exactly once through <see cref="Poll"/>, with its <see cref="DriverRequest.Token"/>,
    /// unless the AC abandons it first. Input and output stay mapped until the op completes or is abandoned.
    /// </summary>
    int Submit(ReadOnlySpan<DriverRequest> requests);

    /// <summary>Fills <paramref name="completions"/> with ops that finished, in any order; returns how many.</summary>
    int Poll(Span<DriverCompletion> completions);

    /// <summary>
    /// The AC gave up on an op at its deadline (it answered the guest DeadlineExceeded): from now on the driver must
    /// not write the op's output, and it drops the op's completion if the device ever returns it.
    /// </summary>
    void Abandon(ulong token);
}
