using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Fabric.Dataplane.Drivers;

namespace Fabric.Node.Compute;

/// <summary>
/// The g-driver of one device: hands out driver instances for the queues bound to the device and watches their
/// fault counters. A fault makes it throw <see cref="DeviceFaultException"/>; its backoff supervisor restarts it,
/// and a restarted g-driver resets the device by putting fresh driver instances behind every one of its queues.
/// Past the restart budget the supervisor gives up and the node agent moves the device's queues elsewhere.
/// </summary>
public sealed class GDriverActor : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DeviceSpec _device;
    private readonly IActorRef _core;
    private readonly DeviceQueues _queues;
    private readonly DeviceFaultSwitch _fault;
    private readonly TimeSpan _checkInterval;
    private readonly Dictionary<string, long> _faultsSeen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FaultInjectingDriver> _injectable = new(StringComparer.Ordinal);
    private readonly HashSet<string> _resetting = new(StringComparer.Ordinal);
    private bool _checking;

    public GDriverActor(DeviceSpec device, IActorRef core, DeviceQueues queues, DeviceFaultSwitch fault, TimeSpan checkInterval)
    {
        _device = device;
        _core = core;
        _queues = queues;
        _fault = fault;
        _checkInterval = checkInterval;

        Receive<OpenDriver>(open =>
        {
            if (_queues.DeviceOf(open.QueueId) is { } current && current != _device.DeviceId)
            {
                // A queue moving here from another device: until the swap is in place its faults are that device's
                // (the demo's failover saw them here and reset this healthy device). DriverSwapped sets the baseline.
                _resetting.Add(open.QueueId);
                _faultsSeen.Remove(open.QueueId);
            }

            try
            {
                Sender.Tell(new DriverOpened(open.QueueId, Create(open.QueueId, open.Chain)));
            }
            catch (ArgumentException ex)
            {
                Sender.Tell(new DriverNotOpened(open.QueueId, ex.Message));
            }
        });
        Receive<ForgetQueue>(forget =>
        {
            _faultsSeen.Remove(forget.QueueId);
            _injectable.Remove(forget.QueueId);
        });
        Receive<FaultStateChanged>(_ =>
        {
            foreach (var driver in _injectable.Values)
            {
                _fault.Apply(driver);
            }
        });
        Receive<CheckFaults>(_ =>
        {
            if (_checking || _queues.On(_device.DeviceId).Count == 0)
            {
                return;
            }

            _checking = true;
            _core.Ask<QueueStatsReport>(GetQueueStats.Instance, TimeSpan.FromSeconds(5)).PipeTo(Self);
        });
        Receive<QueueStatsReport>(report =>
        {
            _checking = false;
            foreach (var stats in report.Queues)
            {
                if (_queues.DeviceOf(stats.QueueId) != _device.DeviceId)
                {
                    continue;
                }

                var faults = stats.DriverFaults + stats.DeadlinesExceeded;
                if (!_faultsSeen.TryGetValue(stats.QueueId, out var seen))
                {
                    // A queue this g-driver did not reset (a new queue, or its reset not yet in place): the
                    // first reading is the baseline.
                    if (!_resetting.Contains(stats.QueueId))
                    {
                        _faultsSeen[stats.QueueId] = faults;
                    }
                }
                else if (faults > seen)
                {
                    throw new DeviceFaultException(_device.DeviceId,
                        $"{faults - seen} operation(s) of queue {stats.QueueId} failed in the driver ({stats.FaultReason ?? "fault"})");
                }
            }
        });
        // The reset is in place: faults from here on are the new driver's.
        Receive<DriverSwapped>(swapped =>
        {
            _resetting.Remove(swapped.QueueId);
            _faultsSeen[swapped.QueueId] = swapped.FaultsAtSwap;
        });
        Receive<Status.Failure>(failure =>
        {
            _checking = false;
            _log.Warning("device {0}: could not read queue counters: {1}", _device.DeviceId, failure.Cause.Message);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(DeviceSpec device, IActorRef core, DeviceQueues queues, DeviceFaultSwitch fault, TimeSpan checkInterval) =>
        Akka.Actor.Props.Create<GDriverActor>(device, core, queues, fault, checkInterval);

    /// <summary>
    /// The g-driver under its supervisor: a fault restarts (resets) it after a backoff that doubles from
    /// <see cref="ComputeSettings.RestartMinBackoff"/>; more than <see cref="ComputeSettings.RestartBudget"/> restarts
    /// within 30 s and the supervisor stops, which its watcher takes as the device having failed.
    /// </summary>
    public static Props Supervised(DeviceSpec device, IActorRef core, DeviceQueues queues, DeviceFaultSwitch fault, ComputeSettings settings)
    {
        var options = Backoff
            .OnFailure(Props(device, core, queues, fault, settings.FaultCheckInterval), "g-driver",
                settings.RestartMinBackoff, settings.RestartMaxBackoff, 0.2, settings.RestartBudget)
            .WithAutoReset(TimeSpan.FromSeconds(30))
            // Each fault is logged once, by the actor that failed; the strategy adds nothing to it.
            .WithSupervisorStrategy(new OneForOneStrategy(settings.RestartBudget, -1, _ => Directive.Restart, loggingEnabled: false));
        return BackoffSupervisor.Props(options);
    }

    protected override void PreStart()
    {
        // A fresh start after a fault is the device reset: every queue gets a new driver instance.
        foreach (var (queueId, chain) in _queues.On(_device.DeviceId))
        {
            try
            {
                _resetting.Add(queueId);
                _core.Ask<DriverSwapped>(new SwapDriver(queueId, Create(queueId, chain)), TimeSpan.FromSeconds(5)).PipeTo(Self);
            }
            catch (ArgumentException ex)
            {
                _log.Error("device {0}: cannot recreate the driver of queue {1}: {2}", _device.DeviceId, queueId, ex.Message);
            }
        }

        Timers.StartPeriodicTimer(CheckFaults.Instance, CheckFaults.Instance, _checkInterval);
    }

    private IGDriver Create(string queueId, string chain)
    {
        var driver = GDriverCatalog.Create(chain);
        if (!_device.FaultInjecting)
        {
            return driver;
        }

        var injectable = new FaultInjectingDriver(driver);
        _fault.Apply(injectable);
        _injectable[queueId] = injectable;
        return injectable;
    }

    /// <summary>Told by the node agent after the device's fault switch changed.</summary>
    public sealed record FaultStateChanged
    {
        public static FaultStateChanged Instance { get; } = new();
    }

    private sealed record CheckFaults
    {
        public static CheckFaults Instance { get; } = new();
    }
}
