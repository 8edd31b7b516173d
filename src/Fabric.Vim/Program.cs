using System.CommandLine;
using Fabric.Vim.Cli;

// fabric-vim: a VIM's (compute manager's) view of the fabric, through its gateway, for scripts and people.
var cli = new CliContext();
var root = new RootCommand("fabric-vim: device profiles, accelerator requests, VMs and devices of a Fabric, through its VIM gateway");
cli.AddTo(root);
root.Subcommands.Add(ProfileCommands.Create(cli));
root.Subcommands.Add(ArqCommands.Create(cli));
root.Subcommands.Add(VmCommands.Create(cli));
root.Subcommands.Add(DeviceCommands.Create(cli));
root.Subcommands.Add(EventsCommand.Create(cli));

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"fabric-vim: {error.Message}");
    }

    Console.Error.WriteLine("run 'fabric-vim --help' for the commands");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
