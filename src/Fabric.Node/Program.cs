using System.CommandLine;
using Akka.Actor;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;

// fabric-node: one host process of the fabric. With no arguments it is a one-process fabric
// (roles control + compute) on the embedded SQLite store in ./data/fabric.db.
var roles = new Option<string?>("--roles") { Description = "control and/or compute, comma separated [env FABRIC_ROLES; default control,compute]" };
var hostname = new Option<string?>("--hostname") { Description = "address to bind and advertise [env FABRIC_HOSTNAME; default 127.0.0.1]" };
var port = new Option<int?>("--port") { Description = "cluster port, 0 for any free one [env FABRIC_PORT; default 4053]" };
var seeds = new Option<string?>("--seeds") { Description = "seed nodes, akka.tcp://fabric@host:port, comma separated; none joins itself [env FABRIC_SEEDS]" };
var nodeName = new Option<string?>("--node-name") { Description = "name of this host for devices and placement [env FABRIC_NODE_NAME; default machine name]" };
var store = new Option<string?>("--store") { Description = "sqlite (embedded) or postgres [env FABRIC_STORE; default sqlite]" };
var db = new Option<string?>("--db") { Description = "SQLite file, or PostgreSQL connection string [env FABRIC_DB; default ./data/fabric.db]" };

var root = new RootCommand("fabric-node: a host of the Fabric acceleration fabric (AML control plane and/or compute node)")
{
    roles, hostname, port, seeds, nodeName, store, db,
};
root.SetAction(async (parse, cancellation) =>
{
    FabricOptions options;
    try
    {
        options = FabricOptions.FromEnvironment();
        if (parse.GetValue(roles) is { } r) options = options with { Roles = FabricOptions.ParseRoles(r, "--roles") };
        if (parse.GetValue(hostname) is { } h) options = options with { Hostname = h };
        if (parse.GetValue(port) is { } p) options = options with { Port = FabricOptions.ParsePort(p.ToString(), "--port") };
        if (parse.GetValue(seeds) is { } s) options = options with { Seeds = FabricOptions.ParseSeeds(s, "--seeds") };
        if (parse.GetValue(nodeName) is { } n) options = options with { NodeName = n };
        if (parse.GetValue(store) is { } st)
        {
            var kind = FabricOptions.ParseStore(st, "--store");
            options = options with { Store = kind, Database = kind == StoreKind.Postgres && parse.GetValue(db) is null && Environment.GetEnvironmentVariable("FABRIC_DB") is null
                ? "Host=127.0.0.1;Port=5432;Database=fabric;Username=fabric" : options.Database };
        }

        if (parse.GetValue(db) is { } d) options = options with { Database = d };
    }
    catch (FabricConfigurationException ex)
    {
        Console.Error.WriteLine($"fabric-node: {ex.Message}");
        return 2;
    }

    FabricNode node;
    try
    {
        node = await FabricNode.StartAsync(options, TimeSpan.FromSeconds(30), cancellation);
    }
    catch (Exception ex) when (ex is FabricConfigurationException or TimeoutException)
    {
        Console.Error.WriteLine($"fabric-node: {ex.Message}");
        return 1;
    }

    var where = options.Store == StoreKind.Sqlite ? $"SQLite {Path.GetFullPath(options.Database)}" : "PostgreSQL";
    Console.WriteLine($"fabric-node {options.NodeName} up at {node.Address} roles [{string.Join(", ", options.Roles)}], store {where}");
    Console.WriteLine("Ctrl+C or SIGTERM leaves the cluster gracefully.");

    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        _ = CoordinatedShutdown.Get(node.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
    };
    await node.System.WhenTerminated;
    Console.WriteLine($"fabric-node {options.NodeName} stopped.");
    return 0;
});

return await root.Parse(args).InvokeAsync();
