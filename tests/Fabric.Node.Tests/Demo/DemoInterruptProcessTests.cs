using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Xunit;

namespace Fabric.Node.Tests.Demo;

/// <summary>
/// <c>fabric-node demo</c> as a real process, interrupted: SIGTERM or SIGINT at a step of the demo ends it within moments,
/// exit 128 + the signal with one "interrupted" line, and nothing it started is left running or lying around (it once
/// ran on for 30 s after SIGTERM and left a fabric-guest process and its channel folder behind).
/// </summary>
public sealed partial class DemoInterruptProcessTests
{
    /// <summary>The demo aims at 5 s (measured 1.5-2 s); the bound leaves room for a loaded shared machine.</summary>
    internal static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("^4\\. The guests stream", 15, 143)]
    [InlineData("queues moved", 15, 143)]
    [InlineData("^4\\. The guests stream", 2, 130)]
    public async Task A_signal_during_the_demo_ends_it_promptly_with_its_guests_stopped_and_no_channel_left(string step, int signal, int exitCode)
    {
        var folder = Path.Combine(Path.GetTempPath(), "fabric-demo-signal", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        try
        {
            await using var demo = RunningProcess.Dotnet("fabric-node", folder, "demo", "--duration", "60", "--port", "0", "--node-name", "demo-signal");
            await demo.Line(l => Regex.IsMatch(l.Trim(), step) ? l : null, TimeSpan.FromMinutes(3), $"the demo's step '{step}'");
            var guests = GuestLine().Matches(demo.Output).Select(m => (Pid: int.Parse(m.Groups["pid"].Value), Channel: m.Groups["channel"].Value)).ToArray();
            Assert.Equal(2, guests.Length);
            Assert.All(guests, g => Assert.True(Alive(g.Pid, "fabric-guest"), $"guest pid {g.Pid} runs before the signal"));

            var clock = Stopwatch.StartNew();
            Assert.Equal(0, Kill(demo.Process.Id, signal));
            using (var bound = new CancellationTokenSource(ExitBound))
            {
                await demo.Process.WaitForExitAsync(bound.Token);
            }

            var took = clock.Elapsed;
            demo.Process.WaitForExit();
            Assert.True(demo.Process.ExitCode == exitCode, $"exit code {demo.Process.ExitCode} after {took.TotalSeconds:0.0} s:\n{demo.Output}");
            Assert.Single(demo.Output.Split('\n'), l => l.StartsWith($"fabric-node demo: interrupted by {(signal == 2 ? "SIGINT" : "SIGTERM")}", StringComparison.Ordinal));
            Assert.All(guests, g => Assert.False(Alive(g.Pid, "fabric-guest"), $"guest pid {g.Pid} still runs after the demo exited"));
            // The channels (sockets) went with their queues, and the node's channel folder with the node.
            Assert.All(guests, g => Assert.False(Directory.Exists(Path.GetDirectoryName(g.Channel)), $"{Path.GetDirectoryName(g.Channel)} is left"));
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

    /// <summary>A process of that pid runs <paramref name="what"/> and is not a zombie (a reused pid is someone else's).</summary>
    internal static bool Alive(int pid, string what)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && File.ReadAllText($"/proc/{pid}/cmdline").Contains(what, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"fabric-guest pid (?<pid>\d+) on (?<channel>\S+)")]
    private static partial Regex GuestLine();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
