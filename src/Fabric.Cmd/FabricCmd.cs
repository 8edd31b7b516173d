using System.CommandLine;
using Fabric.Cmd.Cli;
using Fabric.Vim.Cli;

namespace Fabric.Cmd;

/// <summary>The fabric-cmd command line, callable with arguments and writers (the program, and tests in-process).</summary>
public static class FabricCmd
{
    public static RootCommand Build(CmdContext cmd)
    {
        var root = new RootCommand("fabric-cmd: inspect and steer a Fabric (cluster, sharding, devices, attachments, pipelines, dataplane, metrics) through any control node");
        cmd.AddTo(root);
        root.Subcommands.Add(ClusterCommands.Create(cmd));
        root.Subcommands.Add(ShardingCommands.Create(cmd));
        root.Subcommands.Add(DevicesCommands.Create(cmd));
        root.Subcommands.Add(AttachmentsCommands.Create(cmd));
        root.Subcommands.Add(PipelinesCommands.Create(cmd));
        root.Subcommands.Add(DataplaneCommands.Create(cmd));
        root.Subcommands.Add(VmsCommands.Create(cmd));
        root.Subcommands.Add(MetricsCommands.Create(cmd));
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; the result is the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        var cmd = new CmdContext(stdout, stderr);
        var parse = Build(cmd).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                stderr.WriteLine($"fabric-cmd: {error.Message}");
            }

            stderr.WriteLine("run 'fabric-cmd --help' for the commands");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellation);
    }
}
