namespace Fabric.Dataplane.Drivers;

/// <summary>What <see cref="FaultInjectingDriver"/> does to the next armed operations.</summary>
public enum FaultKind
{
    None = 0,
    /// <summary>Throws from Execute, as a crashing driver would.</summary>
    Throw = 1,
    /// <summary>Stalls until past the op's deadline, as a hung device would.</summary>
    Hang = 2,
    /// <summary>Runs the inner driver, then flips bits in the output and reports success.</summary>
    Corrupt = 3,
}
