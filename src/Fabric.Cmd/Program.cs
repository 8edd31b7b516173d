using Fabric.Cmd;

// fabric-cmd: the operator's view of a Fabric, through the operator gateway of any control node.
return await FabricCmd.RunAsync(args, Console.Out, Console.Error);
