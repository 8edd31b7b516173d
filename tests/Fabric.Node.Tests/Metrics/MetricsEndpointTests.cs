using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Akka.Actor;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Control.Metrics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Guest;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Node.Compute;
using Fabric.Node.Metrics;
using Xunit;

namespace Fabric.Node.Tests.Metrics;

/// <summary>
/// A one-process fabric (control + compute) with its Prometheus endpoint, as fabric-node starts it: the numbers a
/// scrape shows are the work that was done (one bind, the guest's operations and bytes), not just metric names.
/// </summary>
public sealed class MetricsEndpointTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_scrape_shows_the_bind_the_attachment_and_exactly_the_operations_and_bytes_the_guest_sent()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fabric-metrics-tests", Guid.NewGuid().ToString("N"));
        var host = "metrics-" + Guid.NewGuid().ToString("N")[..6];
        var port = FreePort();
        using var endpoint = MetricsEndpoint.Start("127.0.0.1", port, host);
        await using var node = await FabricNode.StartAsync(new FabricOptions
        {
            Port = 0, NodeName = host, Database = Path.Combine(folder, "fabric.db"), LogLevel = "WARNING",
        }, Timeout);
        FabricMetrics.Get(node.System).Serve();
        var settings = ComputeSettings.From(node.System.Settings.Config);
        var hio = new Fabric.Node.Hio.HioScanner(Path.Combine(folder, "no-sysfs")).Discover(settings.SoftwareQueuePairs);
        var agent = ComputeRole.Start(node, ComputeRole.Devices(host, hio, settings), settings);
        await Eventually.Until(async () => (await Ask<CapacitySnapshot>(node.Control.Placement!, GetCapacity.Instance)).Devices.Count == 2, "the devices did not register", Timeout);
        using var http = new HttpClient { Timeout = Timeout };
        var url = $"http://127.0.0.1:{port}/metrics";
        var labels = ("node", host);

        await Ask<ProfileView>(node.Control.Profiles, new CreateProfile("seal", [new ProfileGroup("aes-256-gcm", 1)], NewId()));
        await Ask<AttachmentView>(node.Control.Attachments, new CreateAttachment("arq-m1", "vm-m1", "seal", NewId()));
        var realized = await Ask<VmRealized>(agent, new SpawnVm("vm-m1", [new VmAccelerator("arq-m1", null)], NewId()));
        var view = Assert.Single(realized.Attachments);
        var device = view.DeviceId!;

        // The guest: a session (one op, the key's 32 bytes in), 20 seals of 1000..1019 bytes, one bad descriptor.
        long sentIn = 32, gotOut = 0;
        const int Seals = 20;
        using (var guest = GuestChannel.Open(view.Handle!.ChannelPath))
        {
            var session = guest.OpenSession(RandomNumberGenerator.GetBytes(32), 0, Timeout);
            for (var i = 0; i < Seals; i++)
            {
                var length = 1000 + i;
                RandomNumberGenerator.Fill(guest.Slot(1)[..length]);
                var d = new SubmissionDescriptor
                {
                    Tag = (ulong)i, Op = OpCode.Forward, Session = session, InSlot = 1, InLength = (uint)length, OutSlot = 2, OutCapacity = (uint)guest.SlotSize,
                };
                RandomNumberGenerator.Fill(d.Param[..12]);
                var completion = guest.SubmitAndWait(d, Timeout);
                Assert.Equal(OpStatus.Ok, completion.Status);
                sentIn += length;
                gotOut += completion.OutLength;
            }

            var bad = new SubmissionDescriptor { Tag = 99, Op = OpCode.Forward, Session = session, InSlot = 100_000, InLength = 16, OutSlot = 2, OutCapacity = 64 };
            Assert.Equal(OpStatus.BadDescriptor, guest.SubmitAndWait(bad, Timeout).Status);
        }

        // The read side follows the journal: the attachment shows up as Attached within moments.
        var scrape = await ScrapeUntil(http, url, s => s.Value("fabric_attachments", labels, ("status", "Attached")) == 1, "the attachment was not counted as Attached");

        Assert.Equal(1, scrape.Value("fabric_binds_started_total", labels, ("kind", "bind")));
        Assert.Equal(1, scrape.Value("fabric_binds_succeeded_total", labels, ("kind", "bind")));
        Assert.Null(scrape.Value("fabric_binds_failed_total", labels));
        Assert.Equal(1, scrape.Value("fabric_bind_duration_milliseconds_count", labels, ("kind", "bind"), ("result", "succeeded")));
        Assert.True(scrape.Value("fabric_bind_duration_milliseconds_sum", labels, ("kind", "bind"), ("result", "succeeded")) > 0, scrape.Text);

        var queue = new[] { labels, ("device", device), ("queue", "0") };
        Assert.Equal(Seals + 2, scrape.Value("fabric_dataplane_ops_total", queue));
        Assert.Equal(sentIn, scrape.Value("fabric_dataplane_io_bytes_total", [.. queue, ("direction", "in")]));
        Assert.Equal(gotOut, scrape.Value("fabric_dataplane_io_bytes_total", [.. queue, ("direction", "out")]));
        Assert.Equal(sentIn + 16 * Seals - 32, gotOut);
        Assert.Equal(1, scrape.Value("fabric_dataplane_errors_total", [.. queue, ("status", "BadDescriptor")]));
        Assert.Equal(1, scrape.Sum("fabric_dataplane_errors_total", queue));
        Assert.Equal(1, scrape.Value("fabric_dataplane_queues", labels, ("device", device)));
        var p50 = scrape.Value("fabric_dataplane_latency_milliseconds", [.. queue, ("quantile", "0.5")]);
        var max = scrape.Value("fabric_dataplane_latency_milliseconds", [.. queue, ("quantile", "1")]);
        Assert.True(p50 > 0 && max >= p50, scrape.Text);

        Assert.Equal(2, scrape.Sum("fabric_devices", labels, ("host", host), ("health", "Healthy"), ("enabled", "true")));
        Assert.Equal(1, scrape.Value("fabric_queue_pairs_reserved", labels, ("host", host)));
        Assert.Equal(1, scrape.Value("fabric_cluster_members", labels, ("role", "control"), ("status", "Up")));
        Assert.Equal(1, scrape.Value("fabric_cluster_members", labels, ("role", "compute"), ("status", "Up")));
        Assert.Equal(0, scrape.Value("fabric_cluster_unreachable", labels));
        scrape = await ScrapeUntil(http, url, s => s.Value("fabric_sharding_entities", labels, ("type", "attachment")) >= 1,
            "the attachment entity was not counted on its shard region");
        Assert.True(scrape.Value("fabric_sharding_shards", labels, ("type", "device")) >= 1, scrape.Text);

        // A bind that cannot succeed (a host with no devices): the failed-bind counter appears, and with it every metric
        // the shipped Grafana dashboard queries is in one real scrape (deploy/grafana/fabric.json).
        await Ask<AttachmentView>(node.Control.Attachments, new CreateAttachment("arq-m2", "vm-m2", "seal", NewId()));
        var failed = await Ask<AttachmentView>(node.Control.Attachments, new BindAttachment("arq-m2", "no-such-host", NewId()));
        Assert.Equal(AttachmentStatus.BindFailed, failed.Status);
        scrape = await ScrapeUntil(http, url, s => s.Sum("fabric_binds_failed_total", labels) == 1, "the failed bind was not counted");
        var dashboard = GrafanaDashboard.Load();
        Assert.True(dashboard.Metrics.Count >= 15, string.Join(", ", dashboard.Metrics));
        Assert.Equal([], dashboard.Metrics.Where(m => !scrape.Has(m)).ToArray());

        // The VM goes: its queue leaves the slot, and what it did stays counted there (counters never go back).
        await Ask<VmStopped>(agent, new StopVm("vm-m1", DeleteAttachments: true, NewId()));
        scrape = await ScrapeUntil(http, url, s => s.Value("fabric_attachments", labels, ("status", "Attached")) == 0, "the deleted attachment was still counted");
        Assert.Equal(0, scrape.Value("fabric_dataplane_queues", labels, ("device", device)));
        Assert.Equal(Seals + 2, scrape.Value("fabric_dataplane_ops_total", queue));
        Assert.Equal(sentIn, scrape.Value("fabric_dataplane_io_bytes_total", [.. queue, ("direction", "in")]));
        Assert.Null(scrape.Value("fabric_dataplane_latency_milliseconds", [.. queue, ("quantile", "0.5")]));
        Assert.Equal(0, scrape.Value("fabric_queue_pairs_reserved", labels, ("host", host)));
    }

    [Fact]
    public void A_port_in_use_is_refused_with_a_message_that_names_it_and_says_what_to_do()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var refused = Assert.Throws<FabricConfigurationException>(() => MetricsEndpoint.Start("127.0.0.1", port, "busy"));

        Assert.Contains($"http://127.0.0.1:{port}/metrics", refused.Message);
        Assert.Contains("--metrics-port", refused.Message);
    }

    [Fact]
    public async Task Fabric_node_with_its_metrics_port_taken_exits_non_zero_at_once_with_that_message()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var folder = Path.Combine(Path.GetTempPath(), "fabric-metrics-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "fabric-node.dll"), "--port", "0", "--node-name", "busy", "--metrics-port", port.ToString() })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(limit.Token);

            var error = await stderr;
            Assert.True(process.ExitCode == 1, $"exit code {process.ExitCode}\n{await stdout}\n{error}");
            Assert.Contains($"cannot serve metrics at http://127.0.0.1:{port}/metrics", error);
            Assert.Contains("--metrics-port", error);
            Assert.DoesNotContain(" up at ", await stdout);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_metrics_port_comes_from_the_environment_and_a_bad_one_is_named()
    {
        Assert.Equal(0, FabricOptions.FromEnvironment(_ => null).MetricsPort);
        Assert.Equal(9464, FabricOptions.FromEnvironment(n => n == "FABRIC_METRICS_PORT" ? "9464" : null).MetricsPort);

        var bad = Assert.Throws<FabricConfigurationException>(() => FabricOptions.FromEnvironment(n => n == "FABRIC_METRICS_PORT" ? "http" : null));
        Assert.Contains("FABRIC_METRICS_PORT", bad.Message);

        var options = new NodeOptions();
        var root = new System.CommandLine.RootCommand();
        options.AddTo(root);
        Assert.Equal(9100, options.Bind(root.Parse(["--metrics-port", "9100"])).MetricsPort);
        var tooBig = Assert.Throws<FabricConfigurationException>(() => options.Bind(root.Parse(["--metrics-port", "70000"])));
        Assert.Contains("--metrics-port", tooBig.Message);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static Task<PrometheusText> ScrapeUntil(HttpClient http, string url, Func<PrometheusText, bool> done, string what) =>
        Eventually.For(async () => new PrometheusText(await http.GetStringAsync(url)), done, what, Timeout, describe: last => "\n" + last.Text);

    private static async Task<T> Ask<T>(IActorRef actor, object message)
    {
        var reply = await actor.Ask<object>(message, Timeout);
        return reply is T typed ? typed : throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, got {(reply is Rejected r ? r.ToString() : reply)}");
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
