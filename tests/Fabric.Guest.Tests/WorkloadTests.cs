using Fabric.Dataplane.Channel;

namespace Fabric.Guest.Tests;

/// <summary>The workload in-process against a real channel served by an in-process AC.</summary>
public sealed class WorkloadTests
{
    [Fact]
    public async Task Seal_and_open_round_trips_come_back_equal()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        var r = new GuestWorkload(rig.Options(GuestOp.RoundTrip, count: 4000)).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.Ok, r.ExitCode);
        Assert.Equal(StopReason.Count, r.StoppedBy);
        Assert.Equal(4000, r.Submitted);
        Assert.Equal(4000, r.Ok);
        Assert.Equal(0, r.Lost);
        Assert.Equal(0, r.IntegrityFailures);
        Assert.Equal(2000, r.Items);
        // Seal reads the plaintext, open reads ciphertext || tag.
        Assert.Equal(2000L * 4096 + 2000L * (4096 + 16), r.Bytes);
        Assert.True(r.P50Micros > 0 && r.P99Micros >= r.P50Micros, $"p50 {r.P50Micros} p99 {r.P99Micros}");
        Assert.Null(r.Message);
        GuestRig.AssertAccounted(r);
    }

    [Fact]
    public async Task The_result_names_the_function_and_deadline_the_channel_header_gives()
    {
        await using var rig = new GuestRig(Fabric.Dataplane.Drivers.GDriverCatalog.Create("deflate->aes-256-gcm->sha256"),
            queue: new Fabric.Dataplane.Engine.QueueOptions { OpDeadline = TimeSpan.FromMilliseconds(750) });
        var r = new GuestWorkload(rig.Options(GuestOp.RoundTrip, count: 10)).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.Ok, r.ExitCode);
        Assert.Equal("deflate->aes-256-gcm->sha256", r.Function);
        Assert.Equal(TimeSpan.FromMilliseconds(750), r.OpDeadline);
        var json = System.Text.Json.JsonDocument.Parse(SummaryWriter.ToJson(r)).RootElement;
        Assert.Equal("deflate->aes-256-gcm->sha256", json.GetProperty("function").GetString());
        Assert.Equal(750, json.GetProperty("op_deadline_ms").GetDouble());
    }

    [Fact]
    public async Task Pipeline_round_trips_through_every_stage()
    {
        await using var rig = new GuestRig("deflate->aes-256-gcm->sha256");
        var options = rig.Options(GuestOp.RoundTrip, count: 1000) with { Size = 16 * 1024, Batch = 16, Payload = PayloadKind.Text };
        var r = new GuestWorkload(options).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.Ok, r.ExitCode);
        Assert.Equal(1000, r.Ok);
        Assert.Equal(0, r.IntegrityFailures);
        Assert.Equal(500, r.Items);
        GuestRig.AssertAccounted(r);
    }

    [Fact]
    public async Task Hash_verify_checks_each_digest()
    {
        await using var rig = new GuestRig("sha256");
        var r = new GuestWorkload(rig.Options(GuestOp.HashVerify, count: 1000)).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.Ok, r.ExitCode);
        Assert.Equal(1000, r.Ok);
        Assert.Equal(0, r.IntegrityFailures);
        GuestRig.AssertAccounted(r);
    }

    [Fact]
    public async Task Forward_only_seals_and_counts_the_bytes()
    {
        await using var rig = new GuestRig("chacha20-poly1305");
        var options = rig.Options(GuestOp.Forward, count: 1001) with { Size = 1000, Batch = 32 };
        var r = new GuestWorkload(options).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.Ok, r.ExitCode);
        Assert.Equal(1001, r.Ok);
        Assert.Equal(1001L * 1000, r.Bytes);
        GuestRig.AssertAccounted(r);
    }

    [Fact]
    public async Task A_round_trip_the_chain_cannot_undo_is_counted_by_status_and_as_an_integrity_failure()
    {
        // On a plain digest queue, Inverse verifies data || digest; fed the digest alone it must fail.
        await using var rig = new GuestRig("sha256");
        var r = new GuestWorkload(rig.Options(GuestOp.RoundTrip, count: 200)).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.Failed, r.ExitCode);
        Assert.Equal(100, r.Ok);
        Assert.Equal(100, r.ErrorsByStatus[OpStatus.AuthFailed]);
        Assert.Equal(100, r.IntegrityFailures);
        Assert.Contains("did not give back", r.Message);
        GuestRig.AssertAccounted(r);
    }

    [Fact]
    public async Task Rate_paces_the_operations()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        var options = rig.Options(GuestOp.Forward, count: 300) with { Rate = 2000 };
        var r = new GuestWorkload(options).Run(CancellationToken.None);

        Assert.Equal(300, r.Ok);
        // 300 ops at 2000/s take 150 ms (less one op's slot, as the first starts at once).
        Assert.True(r.Seconds >= 0.13, $"ran in {r.Seconds:F3} s: not paced");
        Assert.True(r.OpsPerSecond < 2600, $"{r.OpsPerSecond:F0} ops/s with --rate 2000");
    }

    [Fact]
    public async Task Nop_measures_the_channel_alone()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        var r = new GuestWorkload(rig.Options(GuestOp.Nop, count: 5000)).Run(CancellationToken.None);

        Assert.Equal(5000, r.Ok);
        Assert.Equal(0, r.Bytes);
    }

    [Fact]
    public async Task A_key_of_the_wrong_size_is_bad_input()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        // AES-GCM takes 16-, 24- and 32-byte keys: 20 is none of them.
        var options = rig.Options(GuestOp.RoundTrip, count: 10) with { Key = new byte[20] };
        var r = new GuestWorkload(options).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.BadInput, r.ExitCode);
        Assert.Contains("16, 24 or 32 bytes", r.Message);
        Assert.Equal(0, r.Submitted);
    }

    [Fact]
    public async Task A_batch_or_size_the_channel_cannot_hold_is_bad_input()
    {
        await using var rig = new GuestRig("aes-256-gcm", new ChannelGeometry(64, 64, 16, 4096));
        var tooMany = new GuestWorkload(rig.Options(GuestOp.RoundTrip, count: 10) with { Batch = 8 }).Run(CancellationToken.None);
        var tooBig = new GuestWorkload(rig.Options(GuestOp.Forward, count: 10) with { Size = 4000, Batch = 2 }).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.BadInput, tooMany.ExitCode);
        Assert.Contains("--batch 5 or less", tooMany.Message);
        Assert.Equal(GuestExitCodes.BadInput, tooBig.ExitCode);
        Assert.Contains("--size 3840 or less", tooBig.Message);
    }

    [Fact]
    public void A_missing_channel_is_exit_3()
    {
        var path = Path.Combine(Path.GetTempPath(), "fabric-guest-missing-" + Guid.NewGuid().ToString("N") + ".chan");
        var r = new GuestWorkload(new GuestWorkloadOptions { ChannelPath = path }).Run(CancellationToken.None);

        Assert.Equal(GuestExitCodes.NoChannel, r.ExitCode);
        Assert.Contains(path, r.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_channel_is_exit_3()
    {
        var path = Path.Combine(Path.GetTempPath(), "fabric-guest-notchan-" + Guid.NewGuid().ToString("N") + ".chan");
        var shortPath = path + ".short";
        File.WriteAllBytes(path, new byte[8192]);
        File.WriteAllBytes(shortPath, new byte[10]);
        try
        {
            var zeros = new GuestWorkload(new GuestWorkloadOptions { ChannelPath = path }).Run(CancellationToken.None);
            var tiny = new GuestWorkload(new GuestWorkloadOptions { ChannelPath = shortPath }).Run(CancellationToken.None);

            Assert.Equal(GuestExitCodes.NoChannel, zeros.ExitCode);
            Assert.Contains("bad magic", zeros.Message);
            Assert.Equal(GuestExitCodes.NoChannel, tiny.ExitCode);
            Assert.Contains("shorter than", tiny.Message);
        }
        finally
        {
            File.Delete(path);
            File.Delete(shortPath);
        }
    }

    [Fact]
    public void A_channel_nobody_serves_is_exit_4()
    {
        var path = ChannelFile.PathFor("guest-test-unserved-" + Guid.NewGuid().ToString("N"));
        using var channel = ChannelFile.Create(path, new ChannelGeometry(64, 64, 32, 64 * 1024));
        try
        {
            var options = new GuestWorkloadOptions { ChannelPath = path, Count = 10, Timeout = TimeSpan.FromMilliseconds(300) };
            var r = new GuestWorkload(options).Run(CancellationToken.None);

            Assert.Equal(GuestExitCodes.ChannelLost, r.ExitCode);
            Assert.Equal(StopReason.NoAnswer, r.StoppedBy);
            Assert.Contains("has not started serving", r.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_queue_removed_mid_run_is_exit_4_with_every_op_accounted()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        var probe = new ProgressProbe(p => p.Ok > 2000);
        var options = rig.Options(GuestOp.RoundTrip) with { ProgressInterval = TimeSpan.FromMilliseconds(20) };
        var run = new GuestWorkload(options, probe).RunAsync(CancellationToken.None);
        await probe.Reached.WaitAsync(GuestRig.Patience);

        await rig.RemoveQueueAsync(TimeSpan.FromSeconds(1));
        var r = await run.WaitAsync(GuestRig.Patience);

        Assert.Equal(GuestExitCodes.ChannelLost, r.ExitCode);
        Assert.True(r.StoppedBy is StopReason.ChannelDraining or StopReason.ChannelClosed, r.StoppedBy.ToString());
        Assert.True(r.Ok > 2000);
        Assert.Equal(0, r.IntegrityFailures);
        Assert.Contains("detached", r.Message);
        GuestRig.AssertAccounted(r);
    }

    [Fact]
    public async Task An_engine_that_stops_mid_run_is_exit_4_with_every_op_accounted()
    {
        await using var rig = new GuestRig("deflate->aes-256-gcm");
        var probe = new ProgressProbe(p => p.Ok > 500);
        var options = rig.Options(GuestOp.RoundTrip) with { ProgressInterval = TimeSpan.FromMilliseconds(20), Batch = 32 };
        var run = new GuestWorkload(options, probe).RunAsync(CancellationToken.None);
        await probe.Reached.WaitAsync(GuestRig.Patience);

        // The node going down: workers stop between bursts and mark the channel Closed, with no drain.
        await rig.Engine.StopAsync();
        var r = await run.WaitAsync(GuestRig.Patience);

        Assert.Equal(GuestExitCodes.ChannelLost, r.ExitCode);
        Assert.Equal(StopReason.ChannelClosed, r.StoppedBy);
        GuestRig.AssertAccounted(r);
    }

    [Fact]
    public async Task Cancelling_stops_cleanly_with_nothing_lost()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        using var cancel = new CancellationTokenSource();
        var probe = new ProgressProbe(p => p.Ok > 1000);
        var options = rig.Options(GuestOp.RoundTrip) with { ProgressInterval = TimeSpan.FromMilliseconds(20) };
        var run = new GuestWorkload(options, probe).RunAsync(cancel.Token);
        await probe.Reached.WaitAsync(GuestRig.Patience);

        await cancel.CancelAsync();
        var r = await run.WaitAsync(GuestRig.Patience);

        Assert.Equal(GuestExitCodes.Ok, r.ExitCode);
        Assert.Equal(StopReason.Cancelled, r.StoppedBy);
        Assert.Equal(0, r.Lost);
        Assert.Equal(0, r.IntegrityFailures);
        // Started round trips are finished, not cut in half.
        Assert.Equal(r.Submitted / 2, r.Items);
        GuestRig.AssertAccounted(r);
    }

    [Fact]
    public async Task The_loop_allocates_nothing_per_operation()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        long Allocated(long count)
        {
            var options = rig.Options(GuestOp.RoundTrip, count) with { Size = 256 };
            var before = GC.GetAllocatedBytesForCurrentThread();
            var r = new GuestWorkload(options).Run(CancellationToken.None);
            var after = GC.GetAllocatedBytesForCurrentThread();
            Assert.Equal(count, r.Ok);
            return after - before;
        }

        Allocated(2_000);
        var small = Allocated(2_000);
        var large = Allocated(40_000);

        // Set-up (arrays, histograms, the result) costs the same for both runs; 38,000 more ops must not add to it.
        Assert.True(large - small < 4096, $"{small} bytes for 2,000 ops, {large} bytes for 40,000");
    }
}
