namespace Fabric.Node.Hio;

/// <summary>What executes a device's operations: the host CPU, or a piece of hardware.</summary>
public enum DeviceBacking
{
    Software,
    Hardware,
}
