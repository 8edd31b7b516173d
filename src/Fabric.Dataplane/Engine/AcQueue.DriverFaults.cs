using System.Runtime.CompilerServices;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Engine;

/// <summary>The fault push of a queue: its driver's first failure per generation is signalled at once.</summary>
internal sealed unsafe partial class AcQueue
{
    // The generation last signalled; the worker thread alone reads and writes it.
    private uint _signalledGeneration = uint.MaxValue;

    internal Action<DriverFaultSignal>? DriverFaulted { get; set; }

    // Off the hot path: runs only for a failed op, and signals once per driver (the next one is a fresh driver).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SignalDriverFault(OpStatus status)
    {
        if (_signalledGeneration == DriverGeneration || DriverFaulted is not { } observer)
        {
            return;
        }

        _signalledGeneration = DriverGeneration;
        try
        {
            observer(new DriverFaultSignal(Id, DriverGeneration, status));
        }
        catch (Exception)
        {
            // A failing observer cannot take the worker down with it.
        }
    }
}
