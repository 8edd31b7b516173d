using Akka.Actor;
using Akka.Event;
using Fabric.Dataplane.Drivers;

namespace Fabric.Node.Compute;

/// <summary>
/// Probes one failed device on a timer (<see cref="DriverProbe"/> on a fresh driver, off the actor's thread, bounded
/// in time) and tells its parent <see cref="ProbePassed"/>, then stops, the first time a probe passes. Started
/// <c>once</c> (a reset device none of whose queues is left to tell whether the reset helped), it probes at once,
/// tells its parent <see cref="ProbeFailed"/> when that probe fails, and stops.
/// </summary>
public sealed class DeviceProber : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DeviceSpec _device;
    private readonly DriverFactory _drivers;
    private readonly TimeSpan _timeout;
    private FaultKind _injected;
    private readonly TimeSpan _interval;
    private readonly bool _once;
    private bool _probing;

    public DeviceProber(DeviceSpec device, FaultKind injected, DriverFactory drivers, TimeSpan interval, TimeSpan timeout, bool once)
    {
        _once = once;
        _device = device;
        _injected = injected;
        _drivers = drivers;
        _timeout = timeout;
        Receive<Probe>(_ => Start());
        Receive<ProbeDone>(done =>
        {
            _probing = false;
            if (_once)
            {
                // A reset device that works again needs no word: only a failure is another fault of it.
                if (done.Problem is not null)
                {
                    Context.Parent.Tell(new ProbeFailed(_device.DeviceId, done.Problem));
                }

                Context.Stop(Self);
            }
            else if (done.Problem is null)
            {
                Context.Parent.Tell(new ProbePassed(_device.DeviceId));
                Context.Stop(Self);
            }
        });
        Receive<FaultSwitched>(switched => _injected = switched.Kind);
        _interval = interval;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(DeviceSpec device, FaultKind injected, DriverFactory drivers, TimeSpan interval, TimeSpan timeout, bool once = false) =>
        Akka.Actor.Props.Create(() => new DeviceProber(device, injected, drivers, interval, timeout, once));

    protected override void PreStart()
    {
        if (_once)
        {
            Self.Tell(Probe.Instance);
            return;
        }

        Timers.StartPeriodicTimer(Probe.Instance, Probe.Instance, _interval);
    }

    private void Start()
    {
        if (_probing)
        {
            return;
        }

        IGDriver driver;
        try
        {
            driver = _drivers.Create(_device, _device.Functions[0], _injected);
        }
        catch (ArgumentException ex)
        {
            _log.Error("device {0}: cannot make a driver to probe: {1}", _device.DeviceId, ex.Message);
            if (_once)
            {
                Self.Tell(new ProbeDone(ex.Message));
            }

            return;
        }

        _probing = true;
        var probe = Task.Run(() =>
        {
            var problem = DriverProbe.Run(driver);
            driver.Dispose();
            return problem;
        });
        // A hung probe keeps its driver (it cannot be disposed under a running op); the next probe makes a fresh one.
        probe.WaitAsync(_timeout).PipeTo(Self, success: p => new ProbeDone(p), failure: _ => new ProbeDone("probe timed out"));
    }

    private sealed record Probe
    {
        public static Probe Instance { get; } = new();
    }

    private sealed record ProbeDone(string? Problem);
}

/// <summary>From a <see cref="DeviceProber"/>: the failed device works again.</summary>
public sealed record ProbePassed(string DeviceId);

/// <summary>From a <see cref="DeviceProber"/> started once: the probe after a reset failed with <paramref name="Problem"/>.</summary>
public sealed record ProbeFailed(string DeviceId, string Problem);
