using System.CommandLine;

namespace Fabric.Bench.Control;

/// <summary><c>fabric-bench control</c>: the AML on SQLite against raw SQLite, in one run.</summary>
public static class ControlCommand
{
    public static Command Create()
    {
        var attachments = new Option<int>("--attachments") { Description = "attachments to create, bind and delete", DefaultValueFactory = _ => 2000 };
        var clients = new Option<int>("--clients") { Description = "concurrent VIM-like clients", DefaultValueFactory = _ => 64 };
        var devices = new Option<int>("--devices") { Description = "devices to spread the binds over", DefaultValueFactory = _ => 4 };
        var warmup = new Option<int>("--warmup") { Description = "attachments cycled before measuring (JIT tiering, pools, shards): the figures are of a warmed-up, long-running control plane", DefaultValueFactory = _ => 2000 };
        var json = new Option<bool>("--json") { Description = "print one JSON object (and nothing else) on stdout" };
        var dir = new Option<string?>("--dir") { Description = "folder for the SQLite files (default: a new temp folder, removed after)" };
        var report = new Option<string?>("--report") { Description = "also write the latency distributions as DIR/control.svg (self-contained) beside DIR/control.json" };
        var hocon = new Option<string?>("--hocon") { Description = "extra HOCON laid over the node's configuration (to try journal settings)" };
        var command = new Command("control", "bind/delete throughput and latency of the AML on SQLite, with raw SQLite baselines")
        {
            attachments, clients, devices, warmup, json, dir, hocon, report,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = new ControlBenchSettings(
                parse.GetValue(attachments), parse.GetValue(clients), parse.GetValue(devices), parse.GetValue(warmup), parse.GetValue(dir), parse.GetValue(hocon) ?? "");
            if (settings.Attachments < 1 || settings.Clients < 1 || settings.Devices < 1 || settings.Warmup < 0)
            {
                Console.Error.WriteLine("fabric-bench control: --attachments, --clients and --devices must be at least 1");
                return 2;
            }

            return await ControlBench.RunAsync(settings, parse.GetValue(json), cancellation, parse.GetValue(report));
        });
        return command;
    }
}
