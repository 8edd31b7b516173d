using Xunit;

namespace Fabric.Node.Tests.Demo;

/// <summary>The README's first command, run as a real process: it must finish by itself with exit code 0 and its summary.</summary>
public sealed class DemoProcessTests
{
    [Fact]
    public async Task The_demo_finishes_by_itself_with_exit_code_zero_and_a_summary_with_nothing_lost()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fabric-demo-test", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var run = await ProcessRunner.Run(ProcessRunner.Dotnet("fabric-node", folder, "demo", "--duration", "6", "--port", "0", "--node-name", "demo-test"), TimeSpan.FromMinutes(2));
            var output = run.Stdout;

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("Done:", output);
            Assert.Contains("none lost", output);
            Assert.Contains("moved", output);
            Assert.True(File.Exists(Path.Combine(folder, "data", "fabric.db")), "the demo ran on the embedded SQLite store in ./data");

            // The narrative, not Akka's logs: the summary is the last thing printed, and Akka's lines are in the log file.
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.StartsWith("Done:", lines[^1]);
            Assert.DoesNotContain(lines, l => l.StartsWith("[INFO]", StringComparison.Ordinal) || l.StartsWith("[DEBUG]", StringComparison.Ordinal) || l.StartsWith("[WARNING]", StringComparison.Ordinal));
            Assert.Single(lines, l => l.StartsWith("While the demo runs, watch it from another shell:", StringComparison.Ordinal));
            var logFile = Path.Combine(folder, "data", "logs", "fabric-node-demo-test.log");
            Assert.Contains($"log: {logFile} ", output);
            var log = File.ReadAllText(logFile);
            Assert.Contains("[INFO]", log);
            Assert.Contains("Cluster Node [akka.ssl.tcp://fabric@127.0.0.1:", log);
            Assert.Contains("Exiting completed", log);
            // The fault the demo injects is a warning: on the console (standard error), one line.
            var said = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(said, l => l.StartsWith("[WARNING]", StringComparison.Ordinal) && l.Contains("fault 'Throw' injected", StringComparison.Ordinal));
            Assert.DoesNotContain(said, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
            // ... and in the log file, with what the driver threw and where (the AC carries the exception with its fault signal).
            Assert.Contains("fault 'Throw' injected", log);
            Assert.Contains("InvalidOperationException: injected driver fault", log);
            Assert.Contains("   at ", log);
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
