using System.Diagnostics;
using System.Text;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Process;

/// <summary>The AC in this process, the guest in another: the real deployment shape.</summary>
public class TwoProcessTests
{
    private static ProcessStartInfo GuestStart(string path, int operations)
    {
        var assembly = typeof(GuestProgram).Assembly.Location;
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("guest");
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(operations.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return start;
    }

    [Fact]
    public async Task A_guest_process_seals_and_opens_through_the_channel_and_gets_what_local_AES_GCM_gives()
    {
        var engine = new AccelerationEngine(QuickOptions());
        await using var _ = engine;
        var path = NewChannelPath();
        await engine.AddQueue("vm1", ChannelFile.Create(path, new ChannelGeometry(64, 64, 32, 4096)), new AesGcmDriver());
        using var guest = System.Diagnostics.Process.Start(GuestStart(path, 4000))!;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stdout = guest.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = guest.StandardError.ReadToEndAsync(cts.Token);
            await guest.WaitForExitAsync(cts.Token);
            var text = await stdout;
            Assert.True(guest.ExitCode == 0, $"guest exited {guest.ExitCode}: {text} {await stderr}");
            Assert.Contains("ok ops=8000", text);
            var stats = engine.GetStats("vm1")!;
            Assert.Equal(8000 + 1, stats.Ops); // + OpenSession
            Assert.Equal(0, stats.Errors);
        }
        finally
        {
            if (!guest.HasExited)
            {
                guest.Kill(entireProcessTree: true);
            }
        }
        await engine.RemoveQueueAsync("vm1", TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Killing_the_guest_process_mid_stream_leaves_the_AC_serving_other_channels()
    {
        var engine = new AccelerationEngine(QuickOptions());
        await using var _ = engine;
        var path = NewChannelPath();
        await engine.AddQueue("vm1", ChannelFile.Create(path, new ChannelGeometry(64, 64, 32, 4096)), new AesGcmDriver());
        using var guest = System.Diagnostics.Process.Start(GuestStart(path, 10_000_000))!;
        try
        {
            var ready = await guest.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("ready", ready);
            Until(() => engine.GetStats("vm1")!.Ops > 1000, "the guest to get going");
            guest.Kill(entireProcessTree: true);
            await guest.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!guest.HasExited)
            {
                guest.Kill(entireProcessTree: true);
            }
        }

        var removal = await engine.RemoveQueueAsync("vm1", TimeSpan.FromSeconds(1));
        Assert.Null(removal.FaultReason);
        Assert.False(File.Exists(path));

        var path2 = NewChannelPath();
        await engine.AddQueue("vm2", ChannelFile.Create(path2, new ChannelGeometry(8, 8, 2, 4096)), new Sha256Driver());
        using var g2 = Guest.GuestChannel.Open(path2);
        Encoding.ASCII.GetBytes("abc").CopyTo(g2.Slot(0));
        Assert.Equal(OpStatus.Ok, g2.SubmitAndWait(Data(1, OpCode.Forward, 0, 0, 3, 1, 32), Patience).Status);
        Assert.Equal("ba7816bf", Convert.ToHexStringLower(g2.Slot(1)[..4]));
        await engine.RemoveQueueAsync("vm2", TimeSpan.FromSeconds(1));
    }
}
