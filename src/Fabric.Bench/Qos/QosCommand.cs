using System.CommandLine;

namespace Fabric.Bench.Qos;

/// <summary><c>fabric-bench qos</c>: a victim and a hog on one AC worker, without and with service levels (issue 19).</summary>
internal static class QosCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print only the JSON object on stdout (progress goes to stderr)" };
        var seconds = new Option<double>("--seconds-per-phase") { Description = "length of each measured phase (default 3)", DefaultValueFactory = _ => 3.0 };
        var victimRate = new Option<int>("--victim-rate") { Description = "ops/s the victim posts, one at a time (default 2000)", DefaultValueFactory = _ => 2000 };
        var peakFraction = new Option<double>("--hog-peak") { Description = "the hog's peak, as a fraction of what it gets under plain round-robin (default 0.5)", DefaultValueFactory = _ => 0.5 };
        var slice = new Option<int>("--deflate-slice-bytes") { Description = $"input the deflate hog's driver compresses per poll (default {Fabric.Dataplane.Drivers.DeflateDriver.DefaultSliceBytes})", DefaultValueFactory = _ => Fabric.Dataplane.Drivers.DeflateDriver.DefaultSliceBytes };
        var sweep = new Option<string>("--slice-sweep") { Description = "comma-separated slice sizes (e.g. 256,512,1024,4096): deflate's throughput sliced vs one call, and the victim's tail behind the deflate hog, at each", DefaultValueFactory = _ => "" };
        var command = new Command("qos", "one AC worker: a 64 B AES-GCM victim alone, with a 16 KiB AES-GCM (then 64 KiB deflate) hog under plain round-robin, and with service levels")
        {
            json, seconds, victimRate, peakFraction, slice, sweep,
        };
        command.SetAction(async (parse, _) =>
        {
            var s = parse.GetValue(seconds);
            if (s is <= 0 or > 600 || double.IsNaN(s))
            {
                Console.Error.WriteLine("--seconds-per-phase must be in (0, 600]");
                return 2;
            }
            var rate = parse.GetValue(victimRate);
            if (rate is < 1 or > 100_000)
            {
                Console.Error.WriteLine("--victim-rate must be 1..100000");
                return 2;
            }
            var fraction = parse.GetValue(peakFraction);
            if (fraction is <= 0 or > 1 || double.IsNaN(fraction))
            {
                Console.Error.WriteLine("--hog-peak must be in (0, 1]");
                return 2;
            }
            var sliceBytes = parse.GetValue(slice);
            if (Fabric.Dataplane.Drivers.DeflateDriver.SliceBytesProblem(sliceBytes) is { } problem)
            {
                Console.Error.WriteLine($"--deflate-slice-bytes: {problem}");
                return 2;
            }
            var sizes = new List<int>();
            foreach (var item in (parse.GetValue(sweep) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(item, out var size) || Fabric.Dataplane.Drivers.DeflateDriver.SliceBytesProblem(size) is not null)
                {
                    Console.Error.WriteLine($"--slice-sweep: '{item}': {Fabric.Dataplane.Drivers.DeflateDriver.SliceBytesRule}");
                    return 2;
                }
                sizes.Add(size);
            }
            var result = await QosBench.Run(new QosBench.Settings(TimeSpan.FromSeconds(s), rate, fraction, sliceBytes, [.. sizes]), parse.GetValue(json) ? Console.Error : Console.Out);
            Console.Out.WriteLine(result.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }
}
