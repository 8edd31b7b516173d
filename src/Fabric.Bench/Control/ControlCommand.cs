using System.CommandLine;

namespace Fabric.Bench.Control;

public static class ControlCommand
{
    public static Command Create() => new("control", "control-plane bench (not built yet)");
}
