using Fabric.Guest;

// fabric-guest: a sample VM workload. All logic lives in GuestWorkload; GuestCli is the command line over it.
return await GuestCli.RunAsync(args, Console.Out, Console.Error, handleSignals: true);
