using System.CommandLine;
using Fabric.Messages.Operator;
using Fabric.Vim.Cli;
using Spectre.Console;

namespace Fabric.Cmd.Cli;

/// <summary>The <c>sharding</c> palette: where the AML entity types' shards live and how many entities they hold.</summary>
public static class ShardingCommands
{
    public static Command Create(CmdContext cmd)
    {
        var sharding = new Command("sharding", "shard regions of the entity types (device, device-profile, attachment, pipeline)");

        var regions = new Command("regions", "per entity type: each region (control node) with its shard and entity counts");
        regions.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var stats = await fabric.Request<ShardingStatsView>(GetShardingStats.Instance, ct);
            if (json)
            {
                cmd.WriteJson(stats.Types.Select(t => new
                {
                    type_name = t.TypeName,
                    error = t.Error,
                    regions = t.Regions.Select(r => new { address = r.Address, shards = r.Shards.Count, entities = r.Shards.Sum(s => s.Entities), failed = r.Failed }),
                }));
            }
            else
            {
                cmd.Out.Write(CmdTables.Regions(stats));
            }

            return Result(cmd, stats);
        }, ct));

        var stats = new Command("stats", "per entity type and region: every shard and its entity count");
        stats.SetAction((parse, ct) => cmd.Run(parse, async (fabric, json) =>
        {
            var view = await fabric.Request<ShardingStatsView>(GetShardingStats.Instance, ct);
            if (json)
            {
                cmd.WriteJson(view);
            }
            else
            {
                cmd.Out.Write(CmdTables.Shards(view));
                cmd.Out.WriteLine(string.Join("; ", view.Types.Select(t => $"{t.TypeName}: {t.Regions.Sum(r => r.Shards.Count)} shard(s), {t.Regions.Sum(r => r.Shards.Sum(s => s.Entities))} entities")));
            }

            return Result(cmd, view);
        }, ct));

        sharding.Subcommands.Add(regions);
        sharding.Subcommands.Add(stats);
        return sharding;
    }

    /// <summary>A coordinator that did not answer is shown, and the exit code says the picture is incomplete.</summary>
    private static int Result(CmdContext cmd, ShardingStatsView stats)
    {
        var missing = stats.Types.Where(t => t.Error is not null).Select(t => t.TypeName).ToArray();
        return missing.Length == 0 ? ExitCodes.Ok
            : cmd.Fail(ExitCodes.Refused, $"no answer for {string.Join(", ", missing)}: the picture is incomplete; check 'fabric-cmd cluster show' and retry");
    }
}
