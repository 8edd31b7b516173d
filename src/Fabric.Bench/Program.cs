using System.CommandLine;
using Fabric.Bench.Chaos;
using Fabric.Bench.Control;
using Fabric.Bench.Dataplane;
using Fabric.Bench.Failover;
using Fabric.Bench.Qos;
using Fabric.Bench.Vm;

// fabric-bench: side-by-side measurements. Each topic measures Fabric and its baseline in the same run
// and prints one JSON object with both sides and their ratio.
var root = new RootCommand("fabric-bench: measure Fabric against its baselines, in one run, JSON out");
root.Subcommands.Add(ControlCommand.Create());
root.Subcommands.Add(FailoverCommand.Create());
root.Subcommands.Add(ChaosCommand.Create());
root.Subcommands.Add(VmCommand.Create());
root.Subcommands.Add(QosCommand.Create());
foreach (var command in DataplaneCommand.Create())
{
    root.Subcommands.Add(command);
}

return await root.Parse(args).InvokeAsync();
