using System.Text.Json;

namespace Fabric.Guest.Tests;

/// <summary>The command line in-process: exit codes, messages, and what goes to stdout.</summary>
public sealed class CliTests
{
    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await GuestCli.RunAsync(args, stdout, stderr, handleSignals: false).WaitAsync(GuestRig.Patience);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("no subcommand", "")]
    [InlineData("--channel is required", "run")]
    [InlineData("--channel is required", "run --size 10")]
    [InlineData("--size must be at least 1", "run --channel x --size 0")]
    [InlineData("abc", "run --channel x --size abc")]
    [InlineData("--batch must be in", "run --channel x --batch 0")]
    [InlineData("--rate must be 0", "run --channel x --rate -5")]
    [InlineData("--op 'frobnicate' is not an op", "run --channel x --op frobnicate")]
    [InlineData("--duration '10x' is not a duration", "run --channel x --duration 10x")]
    [InlineData("--duration or --count, not both", "run --channel x --duration 1s --count 5")]
    [InlineData("--count must be at least 1", "run --channel x --count 0")]
    [InlineData("--payload 'lorem' is not a payload", "run --channel x --payload lorem")]
    [InlineData("--progress-interval must be positive", "run --channel x --progress-interval 0s")]
    [InlineData("--timeout 'soon' is not a duration", "run --channel x --timeout soon")]
    [InlineData("--bogus", "run --channel x --bogus")]
    public async Task Bad_input_is_exit_2_with_a_message_and_nothing_on_stdout(string expected, string commandLine)
    {
        var args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (exit, stdout, stderr) = await Run(args);

        Assert.Equal(GuestExitCodes.BadInput, exit);
        Assert.Equal("", stdout);
        if (expected != "no subcommand")
        {
            Assert.Contains(expected, stderr, StringComparison.OrdinalIgnoreCase);
        }
        Assert.NotEqual("", stderr);
    }

    [Fact]
    public async Task Key_file_problems_are_exit_2()
    {
        var dir = Directory.CreateTempSubdirectory("fabric-guest-keys-");
        try
        {
            var empty = Path.Combine(dir.FullName, "empty.key");
            File.WriteAllBytes(empty, []);
            var missing = Path.Combine(dir.FullName, "missing.key");

            var (exitEmpty, _, errEmpty) = await Run("run", "--channel", "x", "--key-file", empty);
            var (exitMissing, _, errMissing) = await Run("run", "--channel", "x", "--key-file", missing);

            Assert.Equal(GuestExitCodes.BadInput, exitEmpty);
            Assert.Contains("is empty", errEmpty);
            Assert.Equal(GuestExitCodes.BadInput, exitMissing);
            Assert.Contains("does not exist", errMissing);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_channel_is_exit_3()
    {
        var path = Path.Combine(Path.GetTempPath(), "fabric-guest-missing-" + Guid.NewGuid().ToString("N") + ".chan");
        var (exit, stdout, stderr) = await Run("run", "--channel", path, "--json");

        Assert.Equal(GuestExitCodes.NoChannel, exit);
        Assert.Equal("", stdout);
        Assert.Contains("no channel at " + path, stderr);
    }

    [Fact]
    public async Task Json_prints_one_object_and_nothing_else()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        var (exit, stdout, _) = await Run("run", "--channel", rig.Path, "--op", "open-roundtrip", "--count", "400", "--size", "512", "--json", "--progress-interval", "10ms");

        Assert.Equal(GuestExitCodes.Ok, exit);
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(400, root.GetProperty("ops_submitted").GetInt64());
        Assert.Equal(400, root.GetProperty("ops_ok").GetInt64());
        Assert.Equal(0, root.GetProperty("ops_lost").GetInt64());
        Assert.Equal("count", root.GetProperty("stopped_by").GetString());
    }

    [Fact]
    public async Task A_key_file_in_hex_opens_the_session()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        var keyFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(keyFile, Convert.ToHexString(new byte[32].Select((_, i) => (byte)i).ToArray()) + "\n");
            var (exit, stdout, stderr) = await Run("run", "--channel", rig.Path, "--count", "100", "--key-file", keyFile, "--json");

            Assert.True(exit == GuestExitCodes.Ok, stderr);
            using var json = JsonDocument.Parse(stdout);
            Assert.Equal(100, json.RootElement.GetProperty("ops_ok").GetInt64());
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [Fact]
    public async Task People_get_progress_lines_and_a_summary_table()
    {
        await using var rig = new GuestRig("deflate");
        var (exit, stdout, _) = await Run("run", "--channel", rig.Path, "--op", "compress", "--payload", "text", "--duration", "300ms", "--progress-interval", "50ms");

        Assert.Equal(GuestExitCodes.Ok, exit);
        Assert.Contains("ops/s", stdout);
        Assert.Contains("p99", stdout);
        Assert.Contains("ops submitted", stdout);
        Assert.Contains("duration", stdout);
    }

    [Fact]
    public async Task A_queue_removed_mid_run_prints_the_counts_so_far_and_exits_4()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var run = GuestCli.RunAsync(["run", "--channel", rig.Path, "--duration", "1m", "--json"], stdout, stderr, handleSignals: false);
        GuestRig.Until(() => rig.Engine.GetStats(rig.QueueId) is { Ops: > 1000 }, "the guest's first thousand ops");

        await rig.RemoveQueueAsync(TimeSpan.FromSeconds(1));
        var exit = await run.WaitAsync(GuestRig.Patience);

        Assert.Equal(GuestExitCodes.ChannelLost, exit);
        using var json = JsonDocument.Parse(stdout.ToString());
        var root = json.RootElement;
        var submitted = root.GetProperty("ops_submitted").GetInt64();
        Assert.True(submitted > 1000);
        Assert.Equal(submitted, root.GetProperty("ops_ok").GetInt64() + root.GetProperty("ops_error").GetInt64() + root.GetProperty("ops_lost").GetInt64());
        Assert.Equal(4, root.GetProperty("exit_code").GetInt32());
        Assert.Contains("detached", root.GetProperty("error").GetString());
        Assert.Contains("detached", stderr.ToString());
    }
}
