using System.CommandLine;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Hosting;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Control.Metrics;
using Fabric.Node;
using Fabric.Node.Compute;
using Fabric.Node.Demo;
using Fabric.Node.Dpdk;
using Fabric.Node.Logging;
using Fabric.Node.Metrics;
using Fabric.Node.Narrative;
using Fabric.Vim.Client;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

// fabric-node: one host process of the fabric. With no arguments it is a one-process fabric
// (roles control + compute) on the embedded SQLite store in ./data/fabric.db.
if (Console.IsOutputRedirected)
{
    // A pipe or a file: tables at a fixed, wide width instead of wrapped at 80 columns, so each row stays one line.
    AnsiConsole.Profile.Width = 200;
}

var nodeOptions = new NodeOptions();
var logOptions = new LogOptions();
var narrative = new StartupNarrative(AnsiConsole.Console);
var root = new RootCommand("fabric-node: a host of the Fabric acceleration fabric (AML control plane and/or compute node)");
nodeOptions.AddTo(root);
logOptions.AddTo(root);
root.SetAction(async (parse, cancellation) =>
{
    var (node, refused) = await Start(parse, cancellation);
    if (node is null)
    {
        return refused;
    }

    // Ctrl+C or SIGTERM: leave the cluster (shards handed over, AC drained), then exit 0. The signal is taken
    // here, not by the runtime's default handler, so the process ends only once the node has left.
    var options = node.Options;
    narrative.NextSteps([
        .. NextSteps.Lines(NextSteps.Contact(options.HasRole("control"), node.Address.Host!, node.Address.Port!.Value, options.Seeds), options.Hostname, NextSteps.Command, NextSteps.Security(options.TlsCertificate)),
        "Ctrl+C or SIGTERM leaves the cluster gracefully.",
    ]);
    void Leave(PosixSignalContext signal)
    {
        signal.Cancel = true;
        Console.WriteLine($"{signal.Signal}: leaving the cluster");
        _ = CoordinatedShutdown.Get(node.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }

    using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Leave);
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Leave);
    await node.System.WhenTerminated;
    Console.WriteLine($"fabric-node {node.Options.NodeName} stopped.");
    return 0;
});

var duration = new Option<int>("--duration") { Description = "seconds of guest traffic before the demo ends by itself", DefaultValueFactory = _ => 30 };
var demoVm = new Option<string>("--vm") { Description = "qemu: also one real QEMU VM whose kernel crypto runs on the AC over vhost-user (starts DPDK's EAL; docs/vhost.md)", DefaultValueFactory = _ => "none" };
demoVm.AcceptOnlyFromAmong("none", "qemu");
var demo = new Command("demo", "a one-host fabric: two VMs offload through the AC, a device fails and recovers; ends with a summary")
{
    duration,
    demoVm,
};
demo.SetAction(async (parse, cancellation) =>
{
    var seconds = parse.GetValue(duration);
    if (seconds < 3)
    {
        Console.Error.WriteLine("fabric-node demo: --duration must be at least 3 seconds");
        return 2;
    }

    // SIGTERM/SIGINT cancel the demo at whatever step it is: it stops its guests and QEMU, the node leaves, exit 130/143.
    using var signals = new DemoSignals(cancellation);
    int Interrupted()
    {
        Console.Error.WriteLine(signals.Message);
        return signals.ExitCode;
    }

    // The demo breaks a device on purpose: it needs the fault-injecting one. A one-node fabric has no one to hand its
    // shards to: a region still waiting for its shards' homes (a signal during start-up) is not waited for 10 s.
    var qemu = parse.GetValue(demoVm) == "qemu";
    FabricNode? node;
    int refused;
    try
    {
        (node, refused) = await Start(parse, signals.Token, "fabric.node.fault-injection-device = on\nakka.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 2s"
            + (qemu ? "\nfabric.node.dpdk.enabled = on" : ""));
    }
    catch (OperationCanceledException) when (signals.Interrupted)
    {
        return Interrupted();
    }

    if (node is null)
    {
        return signals.Interrupted ? Interrupted() : refused;
    }

    if (!node.Options.HasRole("compute"))
    {
        Console.Error.WriteLine("fabric-node demo: needs the compute role on this node");
        await node.DisposeAsync();
        return 1;
    }

    await using (node)
    {
        try
        {
            var agent = await node.Services.GetRequiredService<IRequiredActor<NodeAgentActor>>().GetAsync(signals.Token);
            var contact = $"{node.Address.Host}:{node.Address.Port}";
            narrative.NextSteps([$"While the demo runs, watch it from another shell: {NextSteps.Command("fabric-cmd", "Fabric.Cmd")} --contact {contact} dataplane stats --watch", ""]);
            DemoResult result;
            await using (var vim = await FabricVimClient.ConnectAsync(contact, TimeSpan.FromSeconds(10), FabricConfig.Tls(node.Options), cancellation: signals.Token))
            {
                result = await new FabricDemo(node, agent, vim, AnsiConsole.Console, TimeSpan.FromSeconds(seconds), qemu).RunAsync(signals.Token);
            }

            // The node stops before the summary, so that the summary is the last thing printed.
            await node.DisposeAsync();
            result.Print(AnsiConsole.Console);
            return result.Success ? 0 : 1;
        }
        catch (OperationCanceledException) when (signals.Interrupted)
        {
            // The guests and QEMU are stopped already; the node leaves (its AC drains what is left) before the line.
            await node.DisposeAsync();
            return Interrupted();
        }
        catch (Exception ex) when (ex is DemoFailedException or AskTimeoutException or FabricRejectedException or FabricUnreachableException or TimeoutException)
        {
            AnsiConsole.MarkupLine($"[red]demo failed:[/] {Markup.Escape(ex.Message)}");
            return 1;
        }
    }
});
root.Subcommands.Add(demo);

// SIGINT/SIGTERM are taken by the actions themselves: the node (no subcommand) leaves the cluster gracefully, the demo
// cancels itself (DemoSignals). System.CommandLine's own handling (cancel a token, then wait up to a timeout) is off.
var parsed = root.Parse(args);
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

// The node, or null and the exit code of the refusal (README: start-up refusals).
async Task<(FabricNode? Node, int Refused)> Start(ParseResult parse, CancellationToken cancellation, string extraHocon = "")
{
    MetricsEndpoint? endpoint = null;
    try
    {
        var options = nodeOptions.Bind(parse);
        var log = logOptions.Bind(parse, options);
        options = options with { LogLevel = LogSettings.Name(log.FileLevel), ExtraHocon = extraHocon + "\n" + log.ToHocon() + "\n" + nodeOptions.DpdkHocon(parse) };
        // The scrape port first: a port in use ends the start before this node joins the cluster.
        endpoint = options.MetricsPort > 0 ? MetricsEndpoint.Start(options.Hostname, options.MetricsPort, options.NodeName) : null;
        var node = await FabricNode.StartAsync(options, TimeSpan.FromSeconds(30), cancellation);
        var served = endpoint;
        node.System.RegisterOnTermination(() => served?.Dispose());
        FabricMetrics.Get(node.System).Serve();
        var where = options.Store == StoreKind.Sqlite ? $"SQLite {Path.GetFullPath(options.Database)}" : "PostgreSQL";
        narrative.Line($"fabric-node {options.NodeName} up at {node.Address}, roles [{string.Join(", ", options.Roles)}], store {where}");
        narrative.Fact("log", $"{log.File} ({LogSettings.Name(log.FileLevel)} and above; {LogSettings.Name(log.ConsoleLevel)} and above on the console too, --log-level/--verbose for more)");
        narrative.Fact("tls", options.TlsCertificate is { } cert ? $"mutual TLS with {cert}; clients need a certificate of its CA" : "OFF (--insecure): anyone who reaches the port steers the fabric");
        narrative.Fact("metrics", endpoint is null ? "fabric-cmd metrics (no scrape endpoint; --metrics-port N serves one)" : endpoint.Url);
        if (options.HasRole("compute"))
        {
            ComputeSettings settings;
            try
            {
                settings = ComputeSettings.From(node.System.Settings.Config);
            }
            catch (ArgumentException bad)
            {
                // A bad fabric.node setting (it names itself): refused at start like a bad option, not a crash.
                await node.DisposeAsync();
                throw new FabricConfigurationException(bad.Message, bad);
            }

            var dpdk = DpdkDevices.Start(DpdkNodeSettings.From(node.System.Settings.Config));
            // After the AC has stopped (with the actor system): every driver holds a reference on its device.
            node.System.RegisterOnTermination(dpdk.Dispose);
            narrative.Fact("dpdk", dpdk.Status);
            var hio = ComputeRole.Discover(settings, dpdk.AllowedPci);
            foreach (var line in hio.ToLines())
            {
                narrative.Fact("hio", line);
            }

            var devices = VhostAttach.Offer(ComputeRole.Devices(options.NodeName, hio, settings, dpdk.Devices), dpdk.Running);
            ComputeRole.Start(node, devices, settings, ComputeRole.Drivers(dpdk, settings.DeflateSliceBytes));
            narrative.Fact("compute", $"node agent serving {string.Join(", ", devices.Select(d => d.Name))} with {settings.Workers} AC worker(s), deflate in {settings.DeflateSliceBytes} B slices");
        }

        return (node, 0);
    }
    catch (Exception ex) when (ex is FabricConfigurationException or TimeoutException)
    {
        endpoint?.Dispose();
        Console.Error.WriteLine($"fabric-node: {ex.Message}");
        return (null, ex is FabricConfigurationException refusal ? refusal.ExitCode : FabricConfigurationException.Refused);
    }
}
