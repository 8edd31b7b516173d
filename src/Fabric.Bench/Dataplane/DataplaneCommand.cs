using System.CommandLine;

namespace Fabric.Bench.Dataplane;

/// <summary>Commands of the dataplane topic (the benchmark and the hidden guest/sidecar processes it starts).</summary>
public static class DataplaneCommand
{
    internal const string GuestCommandName = "dataplane-guest";
    internal const string SidecarCommandName = "dataplane-uds-sidecar";

    public static IEnumerable<Command> Create()
    {
        yield return Bench();
        yield return Guest();
        yield return Sidecar();
    }

    private static Command Bench()
    {
        var json = new Option<bool>("--json") { Description = "print only the JSON object on stdout (progress goes to stderr)" };
        var seconds = new Option<double>("--seconds-per-case")
        {
            Description = "seconds per measured phase (each case has a few phases); the default keeps the run under 2 minutes",
            DefaultValueFactory = _ => 2.0,
        };
        var only = new Option<string>("--only")
        {
            Description = "run one section: all (default), aead-open (what the AEAD open's scratch copy costs) dpdk (channel vs direct vs dpdk-test-*-perf and openssl speed) or dpdk-zero-copy (the DPDK drivers copying vs zero copy, through a channel)",
            DefaultValueFactory = _ => "all",
        };
        only.AcceptOnlyFromAmong("all", "aead-open", "dpdk", "dpdk-zero-copy");
        var sizes = new Option<int[]>("--sizes")
        {
            Description = "--only dpdk / dpdk-zero-copy: the AES-256-GCM payload sizes to run, of 64 1024 16384 (default all; the 16 KiB deflate rows run with 16384)",
            AllowMultipleArgumentsPerToken = true,
        };
        var drivers = new Option<string[]>("--drivers")
        {
            Description = "--only dpdk / dpdk-zero-copy: the drivers to run, of " + string.Join(' ', DpdkSelection.AllDrivers) + " (default all; comma or space separated)",
            AllowMultipleArgumentsPerToken = true,
        };
        var report = new Option<string?>("--report") { Description = "also write each case's latency distributions as DIR/dataplane-<case>.svg (self-contained) beside DIR/dataplane.json" };
        var command = new Command("dataplane", "AES-256-GCM and a deflate->aes-256-gcm->sha256 pipeline: direct in-process vs the shared-memory channel to a pinned AC vs a Unix-socket sidecar");
        command.Options.Add(json);
        command.Options.Add(seconds);
        command.Options.Add(only);
        command.Options.Add(sizes);
        command.Options.Add(drivers);
        command.Options.Add(report);
        command.SetAction(async (parse, _) =>
        {
            var perCase = parse.GetValue(seconds);
            if (perCase <= 0 || perCase > 600)
            {
                Console.Error.WriteLine("--seconds-per-case must be in (0, 600]");
                return 2;
            }
            var selection = DpdkSelection.Parse(parse.GetValue(sizes), parse.GetValue(drivers), out var selectionError);
            if (selection is null)
            {
                Console.Error.WriteLine(selectionError);
                return 2;
            }
            var asJson = parse.GetValue(json);
            var bench = new DataplaneBench(TimeSpan.FromSeconds(perCase), asJson ? Console.Error : Console.Out);
            var result = parse.GetValue(only) switch
            {
                "aead-open" => bench.RunAeadOpenOnly(),
                "dpdk" => await bench.RunDpdkOnlyAsync(selection: selection),
                "dpdk-zero-copy" => await bench.RunDpdkOnlyAsync(zeroCopy: true, selection: selection),
                _ => await bench.RunAsync(),
            };
            if (parse.GetValue(report) is { } directory)
            {
                Directory.CreateDirectory(directory);
                foreach (var svg in Report.DataplaneReport.Write(directory, result))
                {
                    Console.Error.WriteLine($"fabric-bench dataplane: report {svg}");
                }
            }

            Console.Out.WriteLine(DataplaneBench.Format(result));
            return 0;
        });
        return command;
    }

    private static Command Guest()
    {
        var spec = new Option<string[]>("--spec") { Description = "path,size,depth,outCapacity,keyed,nop", AllowMultipleArgumentsPerToken = false, Required = true };
        var seconds = new Option<double>("--seconds") { DefaultValueFactory = _ => 2.0 };
        var core = new Option<int>("--core") { DefaultValueFactory = _ => 0 };
        var command = new Command(GuestCommandName, "(internal) guest process of the dataplane bench") { Hidden = true };
        command.Options.Add(spec);
        command.Options.Add(seconds);
        command.Options.Add(core);
        command.SetAction(parse => ChannelGuest.Run(parse.GetValue(spec)!, parse.GetValue(seconds), parse.GetValue(core)));
        return command;
    }

    private static Command Sidecar()
    {
        var socket = new Option<string>("--socket") { Required = true };
        var core = new Option<int>("--core") { DefaultValueFactory = _ => 1 };
        var command = new Command(SidecarCommandName, "(internal) Unix-socket sidecar of the dataplane bench") { Hidden = true };
        command.Options.Add(socket);
        command.Options.Add(core);
        command.SetAction(parse => UdsSidecar.Serve(parse.GetValue(socket)!, parse.GetValue(core)));
        return command;
    }
}
