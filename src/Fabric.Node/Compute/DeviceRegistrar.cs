using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Fabric.Control;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;

namespace Fabric.Node.Compute;

/// <summary>
/// Registers the host's devices with the AML until each is acknowledged (the AML may not be up yet), and again when a
/// control node (re)joins (it may have restarted; registering is idempotent). A device the AML remembers as failed is
/// reported to the agent (<see cref="DeviceFailedOnAml"/>), which knows whether it still is.
/// </summary>
public sealed class DeviceRegistrar : ReceiveActor, IWithTimers
{
    public const string Name = "registrar";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<string> _unregistered = new(StringComparer.Ordinal);
    private readonly string _node;
    private readonly IReadOnlyList<DeviceSpec> _devices;
    private readonly ControlPlane _control;
    private readonly TimeSpan _retry;

    public DeviceRegistrar(string node, IReadOnlyList<DeviceSpec> devices, ControlPlane control, TimeSpan retry)
    {
        (_node, _devices, _control, _retry) = (node, devices, control, retry);
        Receive<RegisterDevices>(_ => RegisterAll());
        Receive<ClusterEvent.MemberUp>(up =>
        {
            if (up.Member.HasRole(ControlPlane.ControlRole))
            {
                _unregistered.UnionWith(_devices.Select(d => d.DeviceId));
                RegisterAll();
            }
        });
        Receive<DeviceView>(view =>
        {
            _unregistered.Remove(view.DeviceId);
            if (view.Health is DeviceHealth.Failed)
            {
                Context.Parent.Tell(new DeviceFailedOnAml(view.DeviceId));
            }
        });
        Receive<Rejected>(rejected => _log.Error("device registration refused: {0}", rejected));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string node, IReadOnlyList<DeviceSpec> devices, ControlPlane control, TimeSpan retry) =>
        Akka.Actor.Props.Create(() => new DeviceRegistrar(node, devices, control, retry));

    protected override void PreStart()
    {
        _unregistered.UnionWith(_devices.Select(d => d.DeviceId));
        Self.Tell(RegisterDevices.Instance);
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberUp));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void RegisterAll()
    {
        foreach (var d in _devices.Where(d => _unregistered.Contains(d.DeviceId)))
        {
            var requestId = $"register:{d.DeviceId}:{Guid.NewGuid():N}";
            _control.Devices.Tell(d.Traits is null
                ? new RegisterDevice(d.DeviceId, _node, d.Type, d.Functions.ToArray(), d.QueuePairs, requestId)
                : new RegisterDeviceWithTraits(d.DeviceId, _node, d.Type, d.Functions.ToArray(), d.QueuePairs, requestId, d.Traits.ToArray()), Self);
        }

        if (_unregistered.Count > 0)
        {
            Timers.StartSingleTimer(RegisterDevices.Instance, RegisterDevices.Instance, _retry);
        }
    }

    private sealed record RegisterDevices
    {
        public static RegisterDevices Instance { get; } = new();
    }
}

/// <summary>From the <see cref="DeviceRegistrar"/>: the AML holds the device as failed (from before this agent started, or a failure since).</summary>
public sealed record DeviceFailedOnAml(string DeviceId);
