using System.CommandLine;

namespace Fabric.Bench.Dataplane;

/// <summary>Commands of the dataplane topic (the benchmark and the hidden guest/sidecar processes it starts).</summary>
public static class DataplaneCommand
{
    public static IEnumerable<Command> Create()
    {
        yield break;
    }
}
