using Akka.Actor;
using Akka.Event;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;

namespace Fabric.Node.Vm;

/// <summary>
/// The node agent's VM machines: one <see cref="VmMachineActor"/> per VM it started, their last views (for the node's
/// status), and the agent told when one dies on its own (<see cref="ReleaseDeadVm"/>). A stopped machine's record
/// stays (state, exit code, console log) until the VM is deleted, spawned again, or moves away.
/// </summary>
public sealed class VmMachines : ReceiveActor
{
    public const string Name = "vms";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _node;
    private readonly VmSettings _settings;
    private readonly Dictionary<string, IActorRef> _children = new(StringComparer.Ordinal);
    private readonly Dictionary<string, VmMachineView> _views = new(StringComparer.Ordinal);
    private long _started;

    public VmMachines(string node, VmSettings settings)
    {
        _node = node;
        _settings = settings;
        Receive<StartMachine>(Start);
        Receive<StopMachine>(stop =>
        {
            if (_children.TryGetValue(stop.VmId, out var child))
            {
                child.Forward(stop);
            }
            else
            {
                Sender.Tell(new MachineStopped(stop.VmId, [], null));
            }
        });
        Receive<MachineChanged>(Changed);
        Receive<GetMachines>(_ => Sender.Tell(new MachineList(_views.Values.OrderBy(v => v.VmId, StringComparer.Ordinal).ToArray())));
        Receive<Terminated>(ended =>
        {
            var vm = _children.FirstOrDefault(kv => kv.Value.Equals(ended.ActorRef)).Key;
            if (vm is not null)
            {
                _children.Remove(vm);
                _views.Remove(vm);
            }
        });
        // The agent's answers to the releases this actor asked for.
        Receive<VmStopped>(s => _log.Info("VM {0}: {1} attachment(s) released after its machine stopped", s.VmId, s.Attachments.Count));
        Receive<Rejected>(r => _log.Warning("a dead VM's attachments were not all released: {0}", r.Message));
    }

    public static Props Props(string node, VmSettings settings) => Akka.Actor.Props.Create(() => new VmMachines(node, settings));

    private void Start(StartMachine start)
    {
        if (_children.TryGetValue(start.VmId, out var running) && _views.TryGetValue(start.VmId, out var view))
        {
            if (view.State != "stopped")
            {
                // A spawn repeated (same request again, or the VM re-realized): the machine is the one that runs.
                Sender.Tell(view);
                return;
            }

            Context.Unwatch(running);
            Context.Stop(running);
            _children.Remove(start.VmId);
            _views.Remove(start.VmId);
        }

        var (spec, refusal) = VmMachinePlan.Plan(_node, start.VmId, start.Machine, start.Attachments, _settings);
        if (spec is null)
        {
            Sender.Tell(refusal);
            return;
        }

        var first = new VmMachineView(start.VmId, _node, VmMachinePlan.Qemu, "starting", 0, spec.ConsoleLog, "", spec.MemoryMiB, spec.Vcpus,
            spec.VhostUserSockets.ToArray(), start.Attachments.Select(a => a.AttachmentId).ToArray(), null, null);
        _views[start.VmId] = first;
        _children[start.VmId] = Context.Watch(Context.ActorOf(VmMachineActor.Props(first, spec, _settings, Sender), $"vm-{start.VmId}-{++_started}"));
    }

    private void Changed(MachineChanged changed)
    {
        var vm = changed.View.VmId;
        if (!_children.TryGetValue(vm, out var child) || !child.Equals(Sender))
        {
            return;
        }

        _views[vm] = changed.View;
        if (changed.Died)
        {
            Context.Parent.Tell(new ReleaseDeadVm(vm, $"died:{vm}:{Guid.NewGuid():N}"));
        }
    }
}
