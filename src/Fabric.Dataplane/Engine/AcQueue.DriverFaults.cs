using System.Runtime.CompilerServices;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Engine;

/// <summary>The fault push of a queue: its driver's first failure per generation is signalled at once.</summary>
internal sealed unsafe partial class AcQueue
{
    // The generation last signalled; the worker thread alone reads and writes it.
    private uint _signalledGeneration = uint.MaxValue;

    // The first exception of the current driver caught by the queue itself (sessions, submit); a reference, no
    // allocation. Cleared when a driver is swapped in.
    private Exception? _driverException;

    // The driver of another device the worker switches to by itself the moment this queue's driver faults (null: none
    // armed, the node decides), and that device's id. Worker thread only, like the failover flag.
    private IGDriver? _standby;
    private string? _standbyDevice;
    private bool _failoverDue;
    private OpStatus _failoverStatus;

    internal Action<DriverFaultSignal>? DriverFaulted { get; set; }

    /// <summary>Arms (or, with null, disarms) the standby; returns the one it replaces, for the caller to dispose.</summary>
    internal IGDriver? ArmStandby(IGDriver? standby, string? deviceId)
    {
        var previous = _standby;
        _standby = standby;
        _standbyDevice = standby is null ? null : deviceId;
        return previous;
    }

    /// <summary>Failing over is due: checked by <see cref="Poll"/> once per visit (a field read).</summary>
    internal bool FailoverDue => _failoverDue;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NoteDriverException(Exception ex) => _driverException ??= ex;

    /// <summary>Why the current driver failed, as far as it threw: the queue's own catch, or the adapter's.</summary>
    private Exception? DriverException => _driverException ?? (_port as SyncDriverAdapter)?.Fault;

    // Off the hot path: runs only for a failed op, and signals once per driver (the next one is a fresh driver).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SignalDriverFault(OpStatus status)
    {
        if (_signalledGeneration == DriverGeneration)
        {
            return;
        }

        if (_standby is not null)
        {
            // Switched at the end of this visit (not here, in the middle of answering ops); signalled with the switch.
            _signalledGeneration = DriverGeneration;
            _failoverDue = true;
            _failoverStatus = status;
            return;
        }

        if (DriverFaulted is not { } observer)
        {
            return;
        }

        _signalledGeneration = DriverGeneration;
        Notify(observer, new DriverFaultSignal(Id, DriverGeneration, status, DriverException));
    }

    /// <summary>
    /// The worker puts the standby behind the queue itself, no actor in the way: the ops the failed driver still held
    /// are submitted again to the standby (<see cref="Swap"/>), so nothing is lost; the node hears of it after.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void FailOver()
    {
        _failoverDue = false;
        if (_standby is not { } standby)
        {
            return;
        }

        var failed = DriverGeneration;
        var cause = DriverException;
        var device = _standbyDevice!;
        _standby = null;
        _standbyDevice = null;
        var replaced = Swap(standby);
        if (DriverFaulted is { } observer)
        {
            Notify(observer, new DriverFaultSignal(Id, failed, _failoverStatus, cause, new DriverFailover(device, DriverGeneration, replaced)));
        }
        else
        {
            replaced.Dispose();
        }
    }

    private static void Notify(Action<DriverFaultSignal> observer, DriverFaultSignal signal)
    {
        try
        {
            observer(signal);
        }
        catch (Exception)
        {
            // A failing observer cannot take the worker down with it.
        }
    }
}
