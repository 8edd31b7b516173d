using System.Collections.Concurrent;
using System.Diagnostics;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Vim.Client;
using HdrHistogram;

namespace Fabric.Bench.Chaos;

/// <summary>
/// A steady stream of VIM work: each client creates, binds and deletes attachments in a loop. Every answer the
/// fabric gave is remembered (the last acknowledged step of each attachment), so that after the drills the
/// fabric can be asked whether anything it acknowledged was lost. Failures are counted per window with their
/// messages; bind latency is recorded per window.
/// </summary>
public sealed class VimLoad
{
    private readonly FabricVimClient _vim;
    private readonly string _profile;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<string, AttachmentStatus> _acknowledged = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly List<Task> _clients = [];
    private readonly object _windowLock = new();
    private LongHistogram _bindLatency = NewHistogram();
    private long _requests;
    private long _failed;
    private long _binds;
    private volatile bool _paused;
    private volatile bool _stopped;
    private int _inFlight;

    public VimLoad(FabricVimClient vim, string profile, string prefix)
    {
        _vim = vim;
        _profile = profile;
        _prefix = prefix;
    }

    public int Clients => _clients.Count;

    /// <summary>Every attachment whose last step the fabric acknowledged, with the status that step left it in.</summary>
    public IReadOnlyDictionary<string, AttachmentStatus> Acknowledged => _acknowledged;

    public void Start(int clients)
    {
        for (var c = 0; c < clients; c++)
        {
            var client = c;
            _clients.Add(Task.Run(() => RunClient(client)));
        }
    }

    /// <summary>Stops starting new cycles and waits for those under way to end (the fabric is then quiet).</summary>
    public async Task PauseAsync(TimeSpan timeout)
    {
        _paused = true;
        var deadline = DateTime.UtcNow + timeout;
        while (Volatile.Read(ref _inFlight) > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"VIM load: {_inFlight} cycle(s) still under way after {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(20);
        }
    }

    public void Resume() => _paused = false;

    public async Task StopAsync()
    {
        _stopped = true;
        await Task.WhenAll(_clients);
    }

    /// <summary>Counts since the last call (or the start), and starts a new window.</summary>
    public LoadWindow TakeWindow(TimeSpan elapsed)
    {
        lock (_windowLock)
        {
            var latency = Interlocked.Exchange(ref _bindLatency, NewHistogram());
            var failures = new List<string>();
            while (_failures.TryDequeue(out var f))
            {
                failures.Add(f);
            }

            return new LoadWindow(
                Interlocked.Exchange(ref _requests, 0),
                Interlocked.Exchange(ref _failed, 0),
                Interlocked.Exchange(ref _binds, 0),
                elapsed,
                latency,
                failures);
        }
    }

    /// <summary>
    /// Asks the fabric for every acknowledged attachment: a create must still exist, a bind must still hold its
    /// device (or have failed because its node was lost), a delete must still be deleted. Returns what was lost.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindLostAsync(TimeSpan timeout)
    {
        var lost = new ConcurrentBag<string>();
        var deadline = DateTime.UtcNow + timeout;
        await Parallel.ForEachAsync(_acknowledged, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (entry, _) =>
        {
            var (id, acked) = entry;
            AttachmentView view;
            while (true)
            {
                try
                {
                    view = await _vim.GetAttachment(id);
                    break;
                }
                catch (FabricRejectedException ex) when (ex.Rejected.Reason == RejectReason.NotFound)
                {
                    lost.Add($"{id}: acknowledged {acked}, now unknown to the fabric");
                    return;
                }
                catch (Exception ex) when (ex is FabricUnreachableException or FabricRejectedException && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200);
                }
            }

            var kept = acked switch
            {
                AttachmentStatus.Deleted => view.Status == AttachmentStatus.Deleted,
                AttachmentStatus.Bound => view.Status is AttachmentStatus.Bound or AttachmentStatus.Attached
                    || (view.Status == AttachmentStatus.Failed && (view.FailureMessage ?? "").StartsWith("NodeLost", StringComparison.Ordinal)),
                _ => view.Status != AttachmentStatus.Deleted,
            };
            if (!kept)
            {
                lost.Add($"{id}: acknowledged {acked}, now {view.Status} {view.FailureMessage}");
            }
        });
        return lost.ToArray();
    }

    private async Task RunClient(int client)
    {
        for (var n = 0; !_stopped; n++)
        {
            if (_paused)
            {
                await Task.Delay(10);
                n--;
                continue;
            }

            Interlocked.Increment(ref _inFlight);
            try
            {
                if (_paused)
                {
                    n--;
                    continue;
                }

                await Cycle($"{_prefix}-{client}-{n}");
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private async Task Cycle(string id)
    {
        if (await Step(id, "create", () => _vim.CreateAttachment(id, "vm-" + id, _profile)) is null)
        {
            return;
        }

        var start = Stopwatch.GetTimestamp();
        var bound = await Step(id, "bind", () => _vim.Bind(id, null));
        if (bound is null)
        {
            return;
        }

        if (bound.Status == AttachmentStatus.Bound)
        {
            Interlocked.Increment(ref _binds);
            lock (_windowLock)
            {
                _bindLatency.RecordValue(Stopwatch.GetTimestamp() - start);
            }
        }

        await Step(id, "delete", () => _vim.DeleteAttachment(id));
    }

    private async Task<AttachmentView?> Step(string id, string what, Func<Task<AttachmentView>> request)
    {
        Interlocked.Increment(ref _requests);
        try
        {
            var view = await request();
            _acknowledged[id] = view.Status;
            return view;
        }
        catch (Exception ex) when (ex is FabricRejectedException or FabricUnreachableException or InvalidOperationException)
        {
            Interlocked.Increment(ref _failed);
            _failures.Enqueue($"{what} {id}: {ex.Message}");
            // The step's outcome is unknown: the attachment is not checked afterwards.
            _acknowledged.TryRemove(id, out _);
            return null;
        }
    }

    private static LongHistogram NewHistogram() => new(TimeStamp.Seconds(120), 3);
}

/// <summary>What the load saw between two windows.</summary>
public sealed record LoadWindow(long Requests, long Failed, long Binds, TimeSpan Elapsed, LongHistogram BindLatency, IReadOnlyList<string> Failures)
{
    public double BindsPerSecond => Elapsed.TotalSeconds > 0 ? Binds / Elapsed.TotalSeconds : 0;

    public double BindMs(double percentile) =>
        BindLatency.TotalCount == 0 ? 0 : Math.Round(BindLatency.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency, 1);
}
