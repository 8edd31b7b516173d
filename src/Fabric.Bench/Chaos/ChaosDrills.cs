using System.Collections.Concurrent;
using System.Diagnostics;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Profiles;
using Fabric.Messages.Sharding;
using Fabric.Messages.Vim;
using Fabric.Vim.Client;

namespace Fabric.Bench.Chaos;

/// <summary>How long and how hard the drills run.</summary>
public sealed record ChaosSettings(int Clients, TimeSpan LoadDuration, TimeSpan DrillLoad)
{
    /// <summary>The figures of <c>fabric-bench chaos</c>.</summary>
    public static ChaosSettings Full { get; } = new(16, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5));

    /// <summary>The drill the test command runs: a few clients, short windows.</summary>
    public static ChaosSettings Short { get; } = new(4, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2));
}

/// <summary>
/// The drills on a running <see cref="DrillCluster"/> under a steady <see cref="VimLoad"/>. Each drill adds its
/// figures to <see cref="Figures"/> and its problems to <see cref="Problems"/>; a drill that cannot finish throws.
/// </summary>
public sealed class ChaosDrills : IAsyncDisposable
{
    public const string Profile = "chaos";
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(120);

    private readonly DrillCluster _cluster;
    private readonly ChaosSettings _settings;
    private readonly Action<string> _progress;
    private readonly FabricVimClient _vim;
    private readonly FabricVimClient _operator;

    /// <summary>A client that retries every second: it times recoveries to the second, not to the load's 5 s retries.</summary>
    private readonly FabricVimClient _probe;
    private readonly VimLoad _load;
    private readonly ConcurrentQueue<(FabricEvent Event, long At)> _events = new();
    private readonly IDisposable _subscription;
    /// <summary>Attachments the drills made and keep: every state read must include them.</summary>
    private readonly HashSet<string> _known = [];

    /// <summary>Devices the cluster has with every node up: every state read must list them all.</summary>
    private int _devices;

    private ChaosDrills(DrillCluster cluster, ChaosSettings settings, Action<string> progress, FabricVimClient vim, FabricVimClient operatorClient, FabricVimClient probe)
    {
        _probe = probe;
        _cluster = cluster;
        _settings = settings;
        _progress = progress;
        _vim = vim;
        _operator = operatorClient;
        _load = new VimLoad(vim, Profile, "load");
        _subscription = vim.Subscribe(e => _events.Enqueue((e, Stopwatch.GetTimestamp())));
    }

    public Dictionary<string, object> Figures { get; } = new();

    public List<string> Problems { get; } = [];

    public static async Task<ChaosDrills> StartAsync(DrillCluster cluster, ChaosSettings settings, Action<string> progress, CancellationToken cancellation = default)
    {
        // Requests are retried on silence with the same request id: 8 x 5 s rides out a node's loss and the
        // hand-over of its shards without the caller seeing an error.
        var vim = await cluster.ConnectVimAsync(TimeSpan.FromSeconds(5), 8, cancellation);
        var operatorClient = await cluster.ConnectOperatorAsync(cancellation);
        var probe = await cluster.ConnectVimAsync(TimeSpan.FromSeconds(1), 120, cancellation);
        var drills = new ChaosDrills(cluster, settings, progress, vim, operatorClient, probe);
        await vim.CreateProfile(Profile, [new ProfileGroup("aes-256-gcm", 1)]);
        foreach (var node in cluster.Nodes)
        {
            drills._devices += await drills.AwaitDevices(node.Name, DeviceHealth.Healthy);
        }

        // Residents: bound on every host, kept through every drill, so each state comparison covers real bindings.
        foreach (var node in cluster.Nodes)
        {
            for (var i = 0; i < 3; i++)
            {
                await drills.CreateKept($"resident-{node.Name}-{i}", node.Name);
            }
        }

        return drills;
    }

    /// <summary>The steady load alone: binds per second and latency with every node up.</summary>
    public async Task Load()
    {
        _progress($"load: {_settings.Clients} VIM clients for {_settings.LoadDuration.TotalSeconds:0} s");
        _load.Start(_settings.Clients);
        _load.TakeWindow(TimeSpan.Zero);
        var clock = Stopwatch.StartNew();
        await Task.Delay(_settings.LoadDuration);
        var window = _load.TakeWindow(clock.Elapsed);
        Figures["load_clients"] = _settings.Clients;
        Figures["load_seconds"] = Math.Round(window.Elapsed.TotalSeconds, 1);
        Figures["binds_per_s"] = Math.Round(window.BindsPerSecond, 1);
        Figures["bind_p50_ms"] = window.BindMs(50);
        Figures["bind_p99_ms"] = window.BindMs(99);
        Figures["load_errors"] = window.Failed;
        Report("load", window);
    }

    /// <summary>
    /// kill -9 of a control node while it hosts shards: the state before and after must be the same (but for its
    /// devices, lost, and the attachments bound to them, failed); an entity that lived on it is bound again.
    /// <paramref name="name"/> h2 is a plain control node; h1 is the oldest, so the shard coordinators and the
    /// node-loss watcher (cluster singletons) move too. Figures are named with <paramref name="figure"/>.
    /// </summary>
    public async Task KillControlNode(string name = "h2", string figure = "control")
    {
        var victim = _cluster.Node(name);
        var survivor = _cluster.Nodes.First(n => n != victim && n.HasRole("control")).Name;
        await _load.PauseAsync(Settle);
        var shards = await _cluster.ShardsOn(_operator, EntityTypes.Attachment, victim);
        if (shards.Count == 0)
        {
            throw new InvalidOperationException($"{name} hosts no attachment shard: nothing to drill");
        }

        // Attachments living in the victim's shards, to bind once it is gone.
        var probes = Enumerable.Range(0, 1000).Select(i => $"probe-{name}-{i}").Where(id => shards.Contains(DrillCluster.ShardOf(id))).Take(3).ToArray();
        foreach (var probe in probes)
        {
            await CreateKept(probe, host: null);
        }

        var before = await FabricState.ReadAsync(_vim, _known, _devices, Settle);
        _load.Resume();
        _load.TakeWindow(TimeSpan.Zero);
        _progress($"kill -9 of {name} (control, compute; {shards.Count} attachment shards, pid {victim.Pid})");
        var clock = Stopwatch.StartNew();
        victim.Kill();
        // Bound on a surviving host, so the probe's outcome does not depend on the victim's devices.
        var bound = await _probe.Bind(probes[0], survivor);
        var recovery = clock.Elapsed;
        if (bound.Status != AttachmentStatus.Bound)
        {
            Problems.Add($"{figure} kill: probe {probes[0]} ended {bound.Status} ({bound.FailureMessage})");
        }

        await AwaitDevices(name, DeviceHealth.Lost);
        await Task.Delay(_settings.DrillLoad);
        await _load.PauseAsync(Settle);
        var window = _load.TakeWindow(clock.Elapsed);
        var after = await FabricState.ReadAsync(_vim, _known, _devices, Settle);
        var expected = before.AfterNodeLost(name);
        expected = expected with { Attachments = expected.Attachments.Where(a => a.Key != probes[0]).ToDictionary() };
        var differences = after.DifferencesFrom(expected);
        Figures[$"{figure}_recovery_s"] = Math.Round(recovery.TotalSeconds, 2);
        Figures[$"{figure}_state_compared"] = before.Attachments.Count + before.Devices.Count;
        Figures[$"{figure}_state_differences"] = differences.Count;
        Figures[$"{figure}_failed_requests"] = window.Failed;
        Problems.AddRange(differences.Select(d => $"{figure} kill: " + d));
        await CheckBooks($"{figure} kill");
        Report($"{figure} kill", window);

        await Restart(victim);
        _load.Resume();
    }

    /// <summary>
    /// kill -9 of compute node h3: its devices become Lost and the attachments bound to them Failed(NodeLost),
    /// and the VIM is told; <c>detect_s</c> is the time from the kill to the last of those events.
    /// </summary>
    public async Task KillComputeNode()
    {
        var victim = _cluster.Node("h3");
        await _load.PauseAsync(Settle);
        var pinned = _known.Where(id => id.StartsWith("resident-h3-", StringComparison.Ordinal)).ToArray();
        var before = await FabricState.ReadAsync(_vim, _known, _devices, Settle);
        _events.Clear();
        _load.Resume();
        _load.TakeWindow(TimeSpan.Zero);
        _progress($"kill -9 of h3 (compute; {pinned.Length} attachments bound to it, pid {victim.Pid})");
        var killedAt = Stopwatch.GetTimestamp();
        var clock = Stopwatch.StartNew();
        victim.Kill();
        var told = new Dictionary<string, long>();
        var deadline = DateTime.UtcNow + Settle;
        while (told.Count < pinned.Length && DateTime.UtcNow < deadline)
        {
            while (_events.TryDequeue(out var e))
            {
                if (e.Event is AttachmentFailedEvent failed && pinned.Contains(failed.AttachmentId))
                {
                    told.TryAdd(failed.AttachmentId, e.At);
                }
            }

            await Task.Delay(50);
        }

        if (told.Count < pinned.Length)
        {
            Problems.Add($"compute kill: the VIM was told of {told.Count} of {pinned.Length} failed attachments within {Settle.TotalSeconds:0} s");
        }

        await AwaitDevices("h3", DeviceHealth.Lost);
        await Task.Delay(_settings.DrillLoad);
        await _load.PauseAsync(Settle);
        var window = _load.TakeWindow(clock.Elapsed);
        var after = await FabricState.ReadAsync(_vim, _known, _devices, Settle);
        var differences = after.DifferencesFrom(before.AfterNodeLost("h3"));
        Figures["detect_s"] = told.Count == 0 ? -1 : Math.Round(Stopwatch.GetElapsedTime(killedAt, told.Values.Max()).TotalSeconds, 2);
        Figures["compute_state_differences"] = differences.Count;
        Figures["compute_failed_requests"] = window.Failed;
        Problems.AddRange(differences.Select(d => "compute kill: " + d));
        await CheckBooks("compute kill");
        Report("compute kill", window);

        await Restart(victim);
        _load.Resume();
    }

    /// <summary>SIGTERM to h2 under load: it leaves (shards handed over), no request fails.</summary>
    public async Task GracefulLeave()
    {
        var victim = _cluster.Node("h2");
        _load.Resume();
        _load.TakeWindow(TimeSpan.Zero);
        _progress($"SIGTERM to h2 (pid {victim.Pid})");
        var clock = Stopwatch.StartNew();
        var exited = await victim.TerminateAsync(TimeSpan.FromSeconds(60));
        var leave = clock.Elapsed;
        if (!exited)
        {
            Problems.Add("graceful leave: h2 did not exit within 60 s of SIGTERM");
            victim.Kill();
        }
        else if (victim.ExitCode != 0)
        {
            Problems.Add($"graceful leave: h2 exited with {victim.ExitCode}");
        }

        await Task.Delay(_settings.DrillLoad);
        var window = _load.TakeWindow(clock.Elapsed);
        Figures["leave_s"] = Math.Round(leave.TotalSeconds, 2);
        Figures["leave_failed_requests"] = window.Failed;
        if (window.Failed > 0)
        {
            Problems.Add($"graceful leave: {window.Failed} request(s) failed");
        }

        Report("graceful leave", window);
        await _load.PauseAsync(Settle);
        await Restart(victim);
        _load.Resume();
    }

    /// <summary>PostgreSQL stopped under load, then started: clear errors while it is down, success after.</summary>
    public async Task RestartPostgres()
    {
        _load.Resume();
        _load.TakeWindow(TimeSpan.Zero);
        _progress("PostgreSQL stopped under load");
        var clock = Stopwatch.StartNew();
        await _cluster.Postgres.StopServer("fast");
        await Task.Delay(_settings.DrillLoad);
        var down = _load.TakeWindow(clock.Elapsed);
        _progress("PostgreSQL started again");
        await _cluster.Postgres.StartServer();
        var restarted = clock.Elapsed;
        // The first create to succeed after the restart marks recovery.
        var deadline = DateTime.UtcNow + Settle;
        for (var i = 0; ; i++)
        {
            try
            {
                await _probe.CreateAttachment($"pg-probe-{i}", "vm-pg-probe", Profile);
                break;
            }
            catch (Exception ex) when (ex is FabricRejectedException or FabricUnreachableException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }

        var recovered = clock.Elapsed - restarted;
        await Task.Delay(_settings.DrillLoad);
        _load.TakeWindow(TimeSpan.Zero);
        await Task.Delay(_settings.DrillLoad);
        var afterwards = _load.TakeWindow(_settings.DrillLoad);
        Figures["pg_down_failed_requests"] = down.Failed;
        Figures["pg_down_error_sample"] = down.Failures.FirstOrDefault() ?? "";
        Figures["pg_recovery_s"] = Math.Round(recovered.TotalSeconds, 2);
        Figures["pg_after_failed_requests"] = afterwards.Failed;
        if (afterwards.Failed > 0)
        {
            Problems.Add($"postgres restart: {afterwards.Failed} request(s) failed after recovery: {afterwards.Failures.FirstOrDefault()}");
        }

        Report("postgres down", down);
    }

    /// <summary>Stops the load and asks the fabric for everything it acknowledged.</summary>
    public async Task CheckAcknowledged()
    {
        await _load.PauseAsync(Settle);
        await _load.StopAsync();
        _progress($"checking {_load.Acknowledged.Count} acknowledged attachments");
        var lost = await _load.FindLostAsync(Settle);
        Figures["acknowledged_checked"] = _load.Acknowledged.Count;
        Figures["acknowledged_lost"] = lost.Count;
        Problems.AddRange(lost.Select(l => "lost: " + l));
        await CheckBooks("final");
    }

    /// <summary>
    /// No node the drill left running was marked unreachable by another, and none left by itself (downed by the split
    /// brain resolver, or crashed): a restart or a kill of one node must never cost the cluster another.
    /// </summary>
    public void CheckMembership()
    {
        var spurious = ReachabilityAudit.SpuriousMarks(_cluster.Nodes.Select(n => new AuditedNode(n.Name, n.Port, n.DownWindows, n.LogLines())).ToArray());
        var exits = _cluster.Nodes.SelectMany(n => n.UnexpectedExits).ToArray();
        Figures["spurious_unreachable"] = spurious.Count;
        Figures["unexpected_exits"] = exits.Length;
        Problems.AddRange(spurious);
        Problems.AddRange(exits);
    }

    /// <summary>An attachment the drills keep (bound on <paramref name="host"/> when one is given).</summary>
    private async Task CreateKept(string id, string? host)
    {
        await _vim.CreateAttachment(id, "vm-" + id, Profile);
        if (host is not null)
        {
            var view = await _vim.Bind(id, host);
            if (view.Status != AttachmentStatus.Bound)
            {
                throw new InvalidOperationException($"could not bind {id} on {host}: {view.Status} {view.FailureMessage}");
            }
        }

        _known.Add(id);
    }

    /// <summary>
    /// The capacity books must add up. A delete is answered once the attachment is deleted; a release its device
    /// did not confirm in time is retried every few seconds after that, so the books are read again for a while.
    /// </summary>
    private async Task CheckBooks(string drill)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var state = await FabricState.ReadAsync(_vim, _known, _devices, Settle);
            var errors = await state.BookErrorsAsync(LookUp);
            if (errors.Count == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Problems.AddRange(errors.Select(e => $"{drill}: books: {e}"));
                return;
            }

            await Task.Delay(1000);
        }
    }

    private async Task<AttachmentView?> LookUp(string id)
    {
        try
        {
            return await _vim.GetAttachment(id);
        }
        catch (FabricRejectedException)
        {
            return null;
        }
    }

    private async Task Restart(NodeProcess node)
    {
        _progress($"starting {node.Name} again");
        await node.StartAsync(DrillCluster.StartTimeout);
        await AwaitDevices(node.Name, DeviceHealth.Healthy);
    }

    /// <summary>Waits until the node's devices are listed and all in <paramref name="health"/>; how many it has.</summary>
    private async Task<int> AwaitDevices(string node, DeviceHealth health)
    {
        var deadline = DateTime.UtcNow + Settle;
        while (true)
        {
            try
            {
                var devices = await _vim.ListDevices(node);
                if (devices.Count > 0 && devices.All(d => d.Health == health))
                {
                    return devices.Count;
                }
            }
            catch (Exception ex) when (ex is FabricUnreachableException or FabricRejectedException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the devices of {node} were not all {health} within {Settle.TotalSeconds:0} s");
            }

            await Task.Delay(200);
        }
    }

    private void Report(string drill, LoadWindow window) =>
        _progress($"{drill}: {window.Requests} requests, {window.Failed} failed, {window.Binds} binds ({window.BindsPerSecond:0.0}/s, p99 {window.BindMs(99)} ms)"
            + (window.Failures.Count > 0 ? $"; first failure: {window.Failures[0]}" : ""));

    public async ValueTask DisposeAsync()
    {
        _subscription.Dispose();
        await _vim.DisposeAsync();
        await _operator.DisposeAsync();
        await _probe.DisposeAsync();
    }
}
