using System.CommandLine;

namespace Fabric.Bench.Failover;

/// <summary><c>fabric-bench device-failover</c>: a guest's stream through a device that fails.</summary>
public static class FailoverCommand
{
    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "seconds of traffic before the fault and after the failover, each", DefaultValueFactory = _ => 3 };
        var size = new Option<int>("--size") { Description = "bytes sealed per operation", DefaultValueFactory = _ => 1024 };
        var json = new Option<bool>("--json") { Description = "print one JSON object (and nothing else) on stdout" };
        var command = new Command("device-failover", "AES-256-GCM from a guest through a channel whose device fails: nothing lost, failover time, throughput before/after")
        {
            seconds, size, json,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var s = parse.GetValue(seconds);
            var bytes = parse.GetValue(size);
            if (s <= 0 || bytes is < 1 or > 65000)
            {
                Console.Error.WriteLine("fabric-bench device-failover: --seconds must be positive and --size 1..65000");
                return 2;
            }

            return await FailoverBench.RunAsync(TimeSpan.FromSeconds(s), bytes, parse.GetValue(json), cancellation);
        });
        return command;
    }
}
