using Akka.Actor;
using Fabric.Control;
using Fabric.Messages.Node;
using Fabric.Node.Vm;

namespace Fabric.Node.Compute;

/// <summary>
/// A host's VM commands (spawn, hot-add, stop, a dead machine's release): each runs in a <see cref="VmSaga"/>, one at
/// a time per VM and in order, started with the agent's <see cref="ComputeState"/> of that moment. What a saga asks
/// of the host is forwarded, its sender kept: queues to the agent (it owns the state and the AC), machines to
/// <see cref="VmMachines"/>. The agent never waits on a saga.
/// </summary>
public sealed class VmCommands : ReceiveActor
{
    public const string Name = "vm-commands";

    private readonly string _node;
    private readonly ControlPlane _control;
    private readonly ComputeSettings _settings;

    // The commands of each VM, its running saga's first; the running sagas' VMs.
    private readonly Dictionary<string, Queue<(object Command, IActorRef ReplyTo)>> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _sagas = new();
    private long _sagaCount;

    public VmCommands(string node, ControlPlane control, ComputeSettings settings, IActorRef machines)
    {
        (_node, _control, _settings) = (node, control, settings);
        Receive<SpawnVm>(cmd => Enqueue(cmd.VmId, cmd));
        Receive<AddVmAccelerator>(cmd => Enqueue(cmd.VmId, cmd));
        Receive<StopVm>(cmd => Enqueue(cmd.VmId, cmd));
        Receive<ReleaseDeadVm>(cmd => Enqueue(cmd.VmId, cmd));
        Receive<StateForSaga>(Start);
        Receive<Terminated>(Ended);
        Receive<OpenQueue>(m => Context.Parent.Forward(m));
        Receive<ClaimVf>(m => Context.Parent.Forward(m));
        Receive<CloseQueue>(m => Context.Parent.Forward(m));
        Receive<QueuesOfRequest>(m => Context.Parent.Forward(m));
        Receive<StartMachine>(machines.Forward);
        Receive<StopMachine>(machines.Forward);
    }

    public static Props Props(string node, ControlPlane control, ComputeSettings settings, IActorRef machines) =>
        Akka.Actor.Props.Create(() => new VmCommands(node, control, settings, machines));

    private void Enqueue(string vmId, object command)
    {
        if (_commands.TryGetValue(vmId, out var waiting))
        {
            waiting.Enqueue((command, Sender));
            return;
        }

        _commands[vmId] = new Queue<(object, IActorRef)>([(command, Sender)]);
        Context.Parent.Tell(new SagaStateWanted(vmId));
    }

    private void Start(StateForSaga now)
    {
        if (!_commands.TryGetValue(now.VmId, out var waiting) || !waiting.TryDequeue(out var next))
        {
            return;
        }

        var (command, replyTo) = next;
        var saga = Context.Watch(Context.ActorOf(VmSaga.Props(_node, _control, _settings, now.State, command, replyTo), $"vm-saga-{++_sagaCount}"));
        _sagas[saga] = now.VmId;
    }

    private void Ended(Terminated ended)
    {
        if (!_sagas.Remove(ended.ActorRef, out var vmId))
        {
            return;
        }

        if (_commands[vmId].Count > 0)
        {
            Context.Parent.Tell(new SagaStateWanted(vmId));
        }
        else
        {
            _commands.Remove(vmId);
        }
    }
}

/// <summary>To the agent: a saga of <paramref name="VmId"/> is due; answered with <see cref="StateForSaga"/>.</summary>
public sealed record SagaStateWanted(string VmId);

/// <summary>The agent's state as a saga of <paramref name="VmId"/> starts (immutable: the saga reads its own copy).</summary>
public sealed record StateForSaga(string VmId, ComputeState State);
