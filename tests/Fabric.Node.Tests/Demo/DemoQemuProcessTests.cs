using System.Diagnostics;
using System.Text.RegularExpressions;
using Fabric.Node.Vm;
using Xunit;

namespace Fabric.Node.Tests.Demo;

/// <summary>
/// <c>fabric-node demo --vm qemu</c> as a real process (its own EAL): a QEMU guest (TCG) whose kernel crypto runs on the
/// AC over vhost-user, next to the process guests, through the same fault; the guest's known answers are in the summary.
/// </summary>
public sealed class DemoQemuProcessTests
{
    /// <summary>QEMU found, the guest image built (once per checkout), and a fresh folder for the demo's data.</summary>
    private static string ImageAndFolder()
    {
        Assert.True(QemuMachine.Find() is not null, "qemu-system-x86_64 not found (./test.sh installs it: apt-get install qemu-system-x86)");
        var root = GuestImage.RepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("Fabric.sln not found");
        var (image, error) = GuestImage.Build(Path.Combine(root, "data", "guest"), Path.Combine(root, "scripts", "guest-image.sh"));
        Assert.True(image is not null, error);
        var folder = Path.Combine(Path.GetTempPath(), "fabric-demo-vm", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>SIGTERM while the guest boots (QEMU up, its kernel under way): QEMU is stopped by pid, its socket and folder go.</summary>
    [Fact]
    public async Task SIGTERM_while_the_QEMU_guest_boots_stops_QEMU_and_ends_the_demo_promptly()
    {
        var folder = ImageAndFolder();
        try
        {
            await using var demo = RunningProcess.Dotnet("fabric-node", folder, "demo", "--vm", "qemu", "--duration", "60", "--port", "0", "--node-name", "demo-vm-signal");
            var line = await demo.Line(l => Regex.IsMatch(l, @"QEMU pid \d+ ") ? l : null, TimeSpan.FromMinutes(3), "the QEMU VM's pid");
            var match = Regex.Match(line, @"QEMU pid (?<pid>\d+) .* virtio-crypto on vhost-user (?<socket>\S+) of ");
            var qemu = int.Parse(match.Groups["pid"].Value);
            var socket = match.Groups["socket"].Value;
            Assert.True(DemoInterruptProcessTests.Alive(qemu, "qemu-system"), $"QEMU pid {qemu} runs before the signal");

            var clock = Stopwatch.StartNew();
            Assert.Equal(0, DemoInterruptProcessTests.Kill(demo.Process.Id, 15));
            using (var bound = new CancellationTokenSource(DemoInterruptProcessTests.ExitBound))
            {
                await demo.Process.WaitForExitAsync(bound.Token);
            }

            demo.Process.WaitForExit();
            Assert.True(demo.Process.ExitCode == 143, $"exit code {demo.Process.ExitCode} after {clock.Elapsed.TotalSeconds:0.0} s:\n{demo.Output}");
            Assert.Contains("fabric-node demo: interrupted by SIGTERM", demo.Output);
            Assert.False(DemoInterruptProcessTests.Alive(qemu, "qemu-system"), $"QEMU pid {qemu} still runs after the demo exited");
            Assert.False(File.Exists(socket), $"the vhost-user socket {socket} is left");
            Assert.False(Directory.Exists(Path.GetDirectoryName(socket)), $"{Path.GetDirectoryName(socket)} is left");
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

    [Fact]
    public async Task The_demo_with_a_QEMU_VM_shows_the_guest_s_known_answers_passed_and_finishes_with_nothing_lost()
    {
        var folder = ImageAndFolder();
        try
        {
            // TCG boot under load plus the demo's 15 s: QEMU's start and the guest's end are bounded by the demo itself.
            var run = await ProcessRunner.Run(
                ProcessRunner.Dotnet("fabric-node", folder, "demo", "--vm", "qemu", "--duration", "15", "--port", "0", "--node-name", "demo-vm"), TimeSpan.FromMinutes(5));
            var output = run.Stdout;

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Matches(new Regex(@"vm-q-\w+: QEMU pid \d+ \((tcg|kvm)\), virtio-crypto on vhost-user "), output);
            Assert.Contains("FABRIC-KAT passed=4 failed=0", output);
            Assert.Matches(new Regex(@"FABRIC-THROUGHPUT driver=virtio_crypto_aes_cbc size=4096 ops=[1-9]\d*"), output);
            Assert.Contains("none lost", output);
            Assert.StartsWith("Done:", output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1]);
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
