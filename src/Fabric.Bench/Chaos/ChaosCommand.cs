using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;

namespace Fabric.Bench.Chaos;

/// <summary>
/// <c>fabric-bench chaos</c>: a 3-process fabric on a throwaway PostgreSQL under VIM load, through kill -9 of a
/// control node, of a compute node and of the oldest node (the singletons' host), a graceful leave and a
/// PostgreSQL restart; one JSON object of figures.
/// </summary>
public static class ChaosCommand
{
    public static Command Create()
    {
        var clients = new Option<int>("--clients") { Description = "concurrent VIM clients of the steady load", DefaultValueFactory = _ => ChaosSettings.Full.Clients };
        var seconds = new Option<int>("--load-seconds") { Description = "seconds of the load drill (all nodes up)", DefaultValueFactory = _ => (int)ChaosSettings.Full.LoadDuration.TotalSeconds };
        var json = new Option<bool>("--json") { Description = "print one JSON object (and nothing else) on stdout" };
        var keep = new Option<bool>("--keep-logs") { Description = "keep the nodes' logs and say where they are" };
        var command = new Command("chaos", "3 fabric-node processes on PostgreSQL under VIM load: kill -9 drills, graceful leave, PostgreSQL restart")
        {
            clients, seconds, json, keep,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = ChaosSettings.Full with
            {
                Clients = parse.GetValue(clients),
                LoadDuration = TimeSpan.FromSeconds(parse.GetValue(seconds)),
            };
            if (settings.Clients < 1 || settings.LoadDuration <= TimeSpan.Zero)
            {
                Console.Error.WriteLine("fabric-bench chaos: --clients and --load-seconds must be at least 1");
                return 2;
            }

            if (PostgresServer.FindBinaries() is null)
            {
                Console.Error.WriteLine("fabric-bench chaos: PostgreSQL is not installed (apt-get install postgresql; ./test.sh does it)");
                return 2;
            }

            return await RunAsync(settings, parse.GetValue(json), parse.GetValue(keep), cancellation);
        });
        return command;
    }

    private static async Task<int> RunAsync(ChaosSettings settings, bool json, bool keepLogs, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        void Progress(string line) => Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0}s] chaos: {line}");

        Dictionary<string, object> figures;
        List<string> problems;
        var cluster = await DrillCluster.StartAsync(Progress, cancellation);
        try
        {
            await using var drills = await ChaosDrills.StartAsync(cluster, settings, Progress, cancellation);
            await drills.Load();
            await drills.KillControlNode();
            await drills.KillComputeNode();
            await drills.KillControlNode("h1", "oldest");
            await drills.GracefulLeave();
            await drills.RestartPostgres();
            await drills.CheckAcknowledged();
            drills.CheckMembership();
            figures = drills.Figures;
            problems = drills.Problems;
        }
        finally
        {
            await cluster.DisposeAsync();
            if (keepLogs)
            {
                Progress($"node logs in {cluster.Folder}");
            }
            else
            {
                Directory.Delete(cluster.Folder, recursive: true);
            }
        }

        figures["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        figures["problems"] = problems.ToArray();
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(figures));
        }
        else
        {
            foreach (var (key, value) in figures)
            {
                Console.WriteLine($"{key,-28} {(value is string[] list ? string.Join("; ", list) : value)}");
            }
        }

        return problems.Count == 0 ? 0 : 1;
    }
}
