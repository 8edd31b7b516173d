using Fabric.Dataplane.Drivers;

namespace Fabric.Node.Compute;

/// <summary>
/// The injected fault of one device (a stand-in for broken hardware). It outlives g-driver restarts: a reset does
/// not repair a broken device, only <see cref="Repair"/> does.
/// </summary>
public sealed class DeviceFaultSwitch
{
    private int _kind;

    public FaultKind Kind => (FaultKind)Volatile.Read(ref _kind);

    public void Break(FaultKind kind) => Volatile.Write(ref _kind, (int)kind);

    public void Repair() => Volatile.Write(ref _kind, (int)FaultKind.None);

    /// <summary>Arms a driver instance with the current fault (persistently) or disarms it.</summary>
    public void Apply(FaultInjectingDriver driver)
    {
        var kind = Kind;
        if (kind == FaultKind.None)
        {
            driver.Disarm();
        }
        else
        {
            driver.Arm(kind, -1);
        }
    }
}
