using Akka.Actor;
using Fabric.Dataplane.Drivers;

namespace Fabric.Node.Compute;

// What runs behind a queue: the node agent's swaps (a reset, a move, an injected fault), the standby its worker switches
// to by itself, and the drivers that go. A driver the worker no longer holds is disposed here, never on its thread.
public sealed partial class AccelerationCoreActor
{
    private void ReceiveDriverChanges()
    {
        Receive<SwapDriver>(cmd =>
        {
            var replyTo = Sender;
            try
            {
                // The outcome comes back to this actor: only its own thread touches the engine.
                _engine.SwapDriverAsync(cmd.QueueId, cmd.Driver)
                    .PipeTo(Self, success: old => new Swapped(cmd.QueueId, old, replyTo), failure: ex => new SwapFailed(cmd.QueueId, ex, replyTo));
            }
            catch (Exception ex) when (ex is KeyNotFoundException or ObjectDisposedException)
            {
                cmd.Driver.Dispose();
                replyTo.Tell(new DriverNotSwapped(cmd.QueueId, ex.Message));
            }
        });
        Receive<Swapped>(swapped =>
        {
            swapped.Old.Dispose();
            swapped.ReplyTo.Tell(new DriverSwapped(swapped.QueueId, _engine.GetStats(swapped.QueueId)?.DriverGeneration ?? 0));
        });
        Receive<ArmStandby>(cmd =>
        {
            try
            {
                // Disposals off the actor's thread touch drivers the worker no longer holds, never the engine.
                _engine.ArmStandbyAsync(cmd.QueueId, cmd.Driver, cmd.DeviceId).ContinueWith(t =>
                {
                    (t.IsCompletedSuccessfully ? t.Result : cmd.Driver)?.Dispose();
                }, TaskScheduler.Default);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or ObjectDisposedException)
            {
                cmd.Driver?.Dispose();
            }
        });
        Receive<RetireDriver>(retired => retired.Driver.Dispose());
        Receive<SwapFailed>(failed => failed.ReplyTo.Tell(new DriverNotSwapped(failed.QueueId, failed.Cause.Message)));
    }

    private sealed record RetireDriver(IGDriver Driver);

    private sealed record Swapped(string QueueId, IGDriver Old, IActorRef ReplyTo);

    private sealed record SwapFailed(string QueueId, Exception Cause, IActorRef ReplyTo);
}
