namespace Fabric.Dataplane.Engine;

/// <summary>What one worker thread is doing.</summary>
/// <param name="Index">Worker index.</param>
/// <param name="Core">Configured core, or -1 when not pinned by configuration.</param>
/// <param name="Pinned">True when sched_setaffinity succeeded.</param>
/// <param name="PinMessage">Why pinning was not done, or "pinned to core N".</param>
/// <param name="Queues">Queues served.</param>
/// <param name="Loops">Polling loop iterations so far (moves while the worker is alive).</param>
/// <param name="AllocatedBytes">Bytes the worker thread has allocated, published every loop.</param>
/// <param name="Running">False once stopped.</param>
public sealed record WorkerStatus(int Index, int Core, bool Pinned, string PinMessage, int Queues, long Loops, long AllocatedBytes, bool Running);
