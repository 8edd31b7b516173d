using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Streams;
using Fabric.Control;
using Fabric.Control.Devices;
using Fabric.Control.Hosting;
using Fabric.Control.Configuration;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Bench.Report;
using HdrHistogram;
using Microsoft.Data.Sqlite;

namespace Fabric.Bench.Control;

/// <summary>
/// Runs a one-process fabric on a fresh SQLite file, creates, binds and deletes attachments from concurrent
/// clients, checks the books (no double allocation, nothing lost), then measures raw SQLite on the same disk.
/// </summary>
public static class ControlBench
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(ControlBenchSettings settings, bool json, CancellationToken cancellation, string? report = null)
    {
        var stdout = Console.Out;
        if (json)
        {
            // Logs and progress go to stderr so stdout carries only the JSON object.
            Console.SetOut(Console.Error);
        }

        var ownDirectory = settings.Directory is null;
        var directory = settings.Directory ?? Path.Combine(Path.GetTempPath(), "fabric-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "fabric.db");
        try
        {
            var figures = await MeasureFabric(settings, database, report is not null, cancellation);
            Console.Error.WriteLine("fabric-bench control: measuring raw SQLite on the same disk");
            var (rowTx, batched) = SqliteBaseline.Measure(directory, (int)(long)figures["journal_row_bytes"], TimeSpan.FromSeconds(3));
            figures["sqlite_row_tx_per_s"] = Math.Round(rowTx, 1);
            figures["sqlite_batched_rows_per_s"] = Math.Round(batched, 1);
            figures["ratio"] = Math.Round((double)figures["events_per_s"] / rowTx, 3);

            if (report is not null)
            {
                var steps = new[] { ("bind", "bind"), ("create", "create"), ("delete", "delete") }
                    .Select(s => LatencyDistribution.FromJson($"Fabric {s.Item1} (AML on SQLite, {settings.Clients} clients)", figures[$"{s.Item2}_distribution_ms"] as System.Text.Json.Nodes.JsonNode)!)
                    .ToArray();
                var svg = SvgReport.Write(report, "control", $"fabric-bench control: {settings.Attachments} attachments, {settings.Clients} clients", "ms", steps, JsonSerializer.Serialize(figures));
                Console.Error.WriteLine($"fabric-bench control: report {svg}");
            }

            if (json)
            {
                stdout.WriteLine(JsonSerializer.Serialize(figures));
            }
            else
            {
                foreach (var (key, value) in figures)
                {
                    stdout.WriteLine($"{key,-28} {value}");
                }
            }

            var ok = (long)figures["double_allocations"] == 0 && (long)figures["lost"] == 0;
            return ok ? 0 : 1;
        }
        finally
        {
            Console.SetOut(stdout);
            if (ownDirectory)
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    private static async Task<Dictionary<string, object>> MeasureFabric(ControlBenchSettings settings, string database, bool distributions, CancellationToken cancellation)
    {
        var options = new FabricOptions { Port = 0, NodeName = "bench", Database = database, LogLevel = "WARNING", ExtraHocon = settings.ExtraHocon };
        await using var node = await FabricNode.StartAsync(options, TimeSpan.FromSeconds(30), cancellation);
        var control = node.Control;

        var perDevice = settings.Clients / settings.Devices + 1;
        var deviceIds = new List<string>();
        for (var i = 0; i < settings.Devices; i++)
        {
            var view = await control.Devices.Ask<DeviceView>(
                new RegisterDevice($"bench/sw{i}", "bench", "software", ["aes-256-gcm", "sha256"], perDevice, Guid.NewGuid().ToString("N")), AskTimeout);
            deviceIds.Add(view.DeviceId);
        }

        await control.Profiles.Ask<ProfileView>(new CreateProfile("bench", [new ProfileGroup("aes-256-gcm", 1)], "bench-profile"), AskTimeout);
        await AwaitPlacement(control, settings.Devices, cancellation);

        // Warm up (JIT tiering, connection pools, shard allocation) before anything is measured.
        await RunClients(control, settings.Clients, settings.Warmup, "warm", new StepLatency[settings.Clients]);
        var rowsBefore = JournalRows(database);
        Console.Error.WriteLine($"fabric-bench control: {settings.Attachments} attachments, {settings.Clients} clients, {settings.Devices} devices x {perDevice} queue pairs");
        var latencies = new StepLatency[settings.Clients];
        var jitBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        var gen2Before = GC.CollectionCount(2);
        var pauseBefore = GC.GetTotalPauseDuration();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var (bindFailed, errors, failureSample) = await RunClients(control, settings.Clients, settings.Attachments, "bench", latencies);
        var elapsed = clock.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var pause = GC.GetTotalPauseDuration() - pauseBefore;
        var gen2 = GC.CollectionCount(2) - gen2Before;
        var jitted = System.Runtime.JitInfo.GetCompiledMethodCount() - jitBefore;
        var rowsAfter = JournalRows(database);

        var create = new LongHistogram(TimeStamp.Seconds(60), 3);
        var latency = new LongHistogram(TimeStamp.Seconds(60), 3);
        var delete = new LongHistogram(TimeStamp.Seconds(60), 3);
        foreach (var step in latencies)
        {
            create.Add(step.Create);
            latency.Add(step.Bind);
            delete.Add(step.Delete);
        }

        Console.Error.WriteLine("fabric-bench control: checking the books");
        var lost = 0L;
        foreach (var chunk in Enumerable.Range(0, settings.Attachments).Chunk(256))
        {
            var views = await Task.WhenAll(chunk.Select(i => control.Attachments.Ask<object>(new GetAttachment($"bench-{i}"), AskTimeout)));
            lost += views.Count(v => v is not AttachmentView { Status: AttachmentStatus.Deleted });
        }

        var devices = await Task.WhenAll(deviceIds.Select(d => control.Devices.Ask<DeviceView>(new GetDevice(d), AskTimeout)));
        lost += devices.Sum(d => d.ReservedQueuePairs);
        var doubleAllocations = await CountDoubleAllocations(node, cancellation);

        var figures = new Dictionary<string, object>
        {
            ["attachments"] = settings.Attachments,
            ["clients"] = settings.Clients,
            ["devices"] = settings.Devices,
            ["warmup_attachments"] = settings.Warmup,
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
            ["binds_per_s"] = Math.Round((settings.Attachments - errors) / elapsed.TotalSeconds, 1),
            ["bind_p50_ms"] = Ms(latency, 50),
            ["bind_p99_ms"] = Ms(latency, 99),
            ["bind_max_ms"] = Math.Round(latency.GetMaxValue() * 1000.0 / Stopwatch.Frequency, 3),
            ["create_p50_ms"] = Ms(create, 50),
            ["create_p99_ms"] = Ms(create, 99),
            ["delete_p50_ms"] = Ms(delete, 50),
            ["delete_p99_ms"] = Ms(delete, 99),
            ["bind_failed"] = bindFailed,
            ["bind_failed_sample"] = failureSample ?? "",
            ["errors"] = errors,
            ["journal_events"] = rowsAfter - rowsBefore,
            ["events_per_s"] = Math.Round((rowsAfter - rowsBefore) / elapsed.TotalSeconds, 1),
            ["journal_row_bytes"] = JournalRowBytes(database),
            ["cpu_ms_per_bind_cycle"] = Math.Round(cpu.TotalMilliseconds / settings.Attachments, 3),
            ["gc_gen2_collections"] = (long)gen2,
            ["gc_pause_ms"] = Math.Round(pause.TotalMilliseconds, 1),
            ["methods_jitted"] = jitted,
            ["double_allocations"] = doubleAllocations,
            ["lost"] = lost,
        };
        if (distributions)
        {
            var ms = 1000.0 / Stopwatch.Frequency;
            figures["bind_distribution_ms"] = LatencyDistribution.ValuesJson(latency, ms);
            figures["create_distribution_ms"] = LatencyDistribution.ValuesJson(create, ms);
            figures["delete_distribution_ms"] = LatencyDistribution.ValuesJson(delete, ms);
            figures["distribution_percentiles"] = LatencyDistribution.StandardPercentiles;
        }

        return figures;
    }

    private static double Ms(LongHistogram histogram, double percentile) =>
        Math.Round(histogram.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency, 3);

    /// <summary>Latency of each step of one client's cycles, in stopwatch ticks.</summary>
    private sealed class StepLatency
    {
        public LongHistogram Create { get; } = new(TimeStamp.Seconds(60), 3);

        public LongHistogram Bind { get; } = new(TimeStamp.Seconds(60), 3);

        public LongHistogram Delete { get; } = new(TimeStamp.Seconds(60), 3);
    }

    /// <summary>Clients create, bind and delete <paramref name="count"/> attachments between them; each step's latency per client.</summary>
    private static async Task<(long BindFailed, long Errors, string? FailureSample)> RunClients(ControlPlane control, int clients, int count, string prefix, StepLatency[] latencies)
    {
        var next = -1;
        string? failureSample = null;
        var bindFailed = 0L;
        var errors = 0L;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            var latency = latencies[client] = new StepLatency();
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var id = $"{prefix}-{i}";
                try
                {
                    var start = Stopwatch.GetTimestamp();
                    await control.Attachments.Ask<AttachmentView>(new CreateAttachment(id, $"vm-{i}", "bench", $"{id}-c"), AskTimeout);
                    var created = Stopwatch.GetTimestamp();
                    latency.Create.RecordValue(created - start);
                    var bound = await control.Attachments.Ask<AttachmentView>(new BindAttachment(id, null, $"{id}-b"), AskTimeout);
                    var boundAt = Stopwatch.GetTimestamp();
                    latency.Bind.RecordValue(boundAt - created);
                    if (bound.Status != AttachmentStatus.Bound)
                    {
                        Interlocked.Increment(ref bindFailed);
                        Interlocked.CompareExchange(ref failureSample, $"{id}: {bound.Status} {bound.FailureReason}: {bound.FailureMessage}", null);
                    }

                    await control.Attachments.Ask<AttachmentView>(new DeleteAttachment(id, $"{id}-d"), AskTimeout);
                    latency.Delete.RecordValue(Stopwatch.GetTimestamp() - boundAt);
                }
                catch (Exception ex) when (ex is AskTimeoutException or InvalidCastException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));
        return (bindFailed, errors, failureSample);
    }

    private static async Task AwaitPlacement(ControlPlane control, int devices, CancellationToken cancellation)
    {
        while (true)
        {
            var snapshot = await control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, AskTimeout);
            if (snapshot.Devices.Count >= devices)
            {
                return;
            }

            await Task.Delay(20, cancellation);
        }
    }

    /// <summary>
    /// Replays every device event of the journal: a reservation beyond capacity, or an attachment held by two
    /// devices at once, is a double allocation.
    /// </summary>
    private static async Task<long> CountDoubleAllocations(FabricNode node, CancellationToken cancellation)
    {
        var journal = PersistenceQuery.Get(node.System).ReadJournalFor<ICurrentEventsByTagQuery>(ControlPlane.ReadJournalId);
        var capacity = new Dictionary<string, int>();
        var held = new Dictionary<string, Dictionary<string, int>>();
        var holderOf = new Dictionary<string, string>();
        var doubles = 0L;
        await journal.CurrentEventsByTag(DeviceActor.Tag, Offset.NoOffset()).RunForeach(envelope =>
        {
            switch (envelope.Event)
            {
                case DeviceRegistered r:
                    capacity[r.DeviceId] = r.CapacityQueuePairs;
                    held.TryAdd(r.DeviceId, []);
                    break;
                case DeviceCapacityReserved r:
                    if (holderOf.TryGetValue(r.AttachmentId, out var other) && other != r.DeviceId)
                    {
                        doubles++;
                    }

                    holderOf[r.AttachmentId] = r.DeviceId;
                    held[r.DeviceId][r.AttachmentId] = r.QueuePairs;
                    if (held[r.DeviceId].Values.Sum() > capacity[r.DeviceId])
                    {
                        doubles++;
                    }

                    break;
                case DeviceCapacityReleased r:
                    held[r.DeviceId].Remove(r.AttachmentId);
                    holderOf.Remove(r.AttachmentId);
                    break;
            }
        }, node.System.Materializer());
        _ = cancellation;
        return doubles;
    }

    private static long JournalRows(string database) => Scalar(database, "SELECT COUNT(*) FROM journal");

    private static long JournalRowBytes(string database) => Scalar(database, "SELECT CAST(AVG(LENGTH(message)) AS INTEGER) FROM journal");

    private static long Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }
}
