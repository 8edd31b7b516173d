using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Xunit;

namespace Fabric.Node.Tests.Narrative;

/// <summary>fabric-node run as a process, as a person starts it: what started, once what to do next, its logs in a file.</summary>
public sealed partial class NodeNarrativeProcessTests
{
    [Fact]
    public async Task A_node_that_comes_up_says_once_where_it_is_and_how_to_use_it_and_keeps_Akkas_logs_in_its_file()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fabric-narrative-test", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "fabric-node.dll"), "--port", "0", "--node-name", "told", "--log-file", "node.log" })
        {
            start.ArgumentList.Add(arg);
        }

        var output = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, _) => { };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            string Said() { lock (output) { return output.ToString(); } }
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await Eventually.Until(() =>
            {
                Assert.False(process.HasExited, $"fabric-node exited: {Said()}");
                return Said().Contains("SIGTERM leaves the cluster gracefully");
            }, "fabric-node to tell how SIGTERM leaves the cluster", TimeSpan.FromSeconds(90));

            Assert.Equal(0, Kill(process.Id, 15));
            await process.WaitForExitAsync(limit.Token);
            process.WaitForExit();
            var said = Said();
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{said}");

            var port = Address().Match(said).Groups["port"].Value;
            var lines = said.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Single(lines, l => l.StartsWith("fabric-node told up at akka.ssl.tcp://fabric@127.0.0.1:", StringComparison.Ordinal));
            Assert.Single(lines, l => l == $"Use the fabric at 127.0.0.1:{port}:");
            Assert.Single(lines, l => Regex.IsMatch(l, $@"^(fabric-vim|dotnet run --project src/Fabric\.Vim --) --contact 127\.0\.0\.1:{port} device list$"));
            Assert.Single(lines, l => Regex.IsMatch(l, $@"^(fabric-cmd|dotnet run --project src/Fabric\.Cmd --) --contact 127\.0\.0\.1:{port} cluster show$"));
            Assert.Single(lines, l => l.Contains($"--fabric 127.0.0.1:{port} --urls http://127.0.0.1:6666", StringComparison.Ordinal) && l.EndsWith("http://127.0.0.1:6666/v2", StringComparison.Ordinal));
            Assert.Equal("fabric-node told stopped.", lines[^1]);
            Assert.DoesNotContain(lines, l => l.StartsWith("[INFO]", StringComparison.Ordinal));

            var logFile = Path.Combine(folder, "node.log");
            Assert.Contains($"log: {logFile} ", said);
            var log = File.ReadAllText(logFile);
            Assert.Contains($"Cluster Node [akka.ssl.tcp://fabric@127.0.0.1:{port}] - Started up successfully", log);
            Assert.Contains("Exiting completed", log);
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

    [GeneratedRegex(@"up at akka\.ssl\.tcp://fabric@127\.0\.0\.1:(?<port>\d+),")]
    private static partial Regex Address();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
