using Akka.Actor;
using Fabric.Node.Vm;

namespace Fabric.Node.Compute;

/// <summary>
/// One <c>GetNodeStatus</c>: asks the VMs' machines and the AC's counters, answers with <see cref="NodeStatusView"/>
/// over the agent's state as it was asked, then stops. A part that does not answer in time is shown empty.
/// </summary>
public sealed class NodeStatusQuery : ReceiveActor
{
    public NodeStatusQuery(ComputeState state, IActorRef vms, IActorRef core, TimeSpan timeout, IActorRef replyTo)
    {
        var machines = vms.Ask<MachineList>(GetMachines.Instance, timeout);
        var stats = core.Ask<QueueStatsReport>(GetQueueStats.Instance, timeout);
        Task.WhenAll(machines, stats).ContinueWith(_ => NodeStatusView.Of(state, stats.IsCompletedSuccessfully ? stats.Result.Queues : [],
            machines.IsCompletedSuccessfully ? machines.Result.Machines : null), TaskScheduler.Default).PipeTo(Self);
        Receive<Fabric.Messages.Node.NodeStatus>(status =>
        {
            replyTo.Tell(status);
            Context.Stop(Self);
        });
    }

    public static Props Props(ComputeState state, IActorRef vms, IActorRef core, TimeSpan timeout, IActorRef replyTo) =>
        Akka.Actor.Props.Create(() => new NodeStatusQuery(state, vms, core, timeout, replyTo));
}
