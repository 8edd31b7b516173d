using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Engine;
using Fabric.Messages.Attachments;

namespace Fabric.Node.Compute;

/// <summary>
/// A device fault played through the agent's pure decision functions on a made-up host, once, when the agent starts.
/// The first fault a node sees otherwise pays for compiling that code: measured in fabric-bench device-failover, the
/// first <see cref="ComputeEffects.Decide"/> of an injected fault took 13-58 ms (just-in-time compilation on a
/// loaded 2-core host), the same call again 0.14-1.9 ms; the agent's reply and the swap that breaks the driver waited
/// on it, and the failover's own decision competed for the cores with the AC worker and the guest. Pure: it shares
/// nothing with the agent, so it runs on the thread pool while the node starts.
/// </summary>
public static class ComputeRehearsal
{
    private const string Chain = "rehearsal";
    private static readonly AttachHandle Handle = new("rehearsal", "rehearsal.sock", (int)ChannelLayout.AbiVersion, 2, 2, 2, 2);

    /// <summary>Plays the scenario; returns every event decided, in order, and the effects they led to.</summary>
    public static (IReadOnlyList<ComputeEvent> Events, IReadOnlyList<ComputeEffect> Effects) Run(string node)
    {
        var (a, b) = ($"{node}/rehearsal-a", $"{node}/rehearsal-b");
        DeviceSpec[] devices = [Spec(a), Spec(b)];
        var state = ComputeState.Of(node, devices, new ResetPolicy(1, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2)));
        var events = new List<ComputeEvent>();
        var effects = new List<ComputeEffect>();

        void Decide(ComputeCommand command)
        {
            (state, var decision, var made) = ComputeEffects.Decide(state, command);
            events.AddRange(decision.Events);
            effects.AddRange(made);
        }

        void Settle(ComputeEvent e)
        {
            (state, var made) = ComputeEffects.Settle(state, e);
            events.Add(e);
            effects.AddRange(made);
        }

        // A queue served on a, its standby on b; an operator breaks a.
        state = ComputeEffects.Record(state, new QueuePlaced("q", "vm", a, Chain, "r"), effects);
        Settle(new QueueAttached("q", Handle));
        Decide(new SwitchFault(a, "throw"));
        // The worker fails over to b by itself: the agent hears of it, resets a, and the AML confirms the move.
        var (fault, note) = ComputeEffects.DriverFaulted(state, new DriverFaultSignal("q", 1, OpStatus.DriverFault), 0);
        effects.Add(note);
        Decide(fault with { FailedOverTo = b, NewGeneration = 2 });
        Decide(new ConfirmMove("q", node, b));
        // a fails past its budget and is probed back; then b fails with no standby left: the queue moves, the AML refuses.
        Decide(new NoteDeviceFault(a, "rehearsal", 1));
        Settle(new DeviceRecovered(a));
        Decide(new NoteDriverFault("q", state.Queues["q"].Generation, "rehearsal", 2));
        Decide(new NoteDeviceFault(b, "rehearsal", 3));
        Decide(new ConfirmMove("q", node, null));
        Decide(new SwitchFault(a, null));
        _ = NodeStatusView.Of(state, [], null);
        Settle(new QueueReleased("q"));
        return (events, effects);
    }

    private static DeviceSpec Spec(string id) => new(id, id, "rehearsal", [Chain], 2, FaultInjecting: true);
}
