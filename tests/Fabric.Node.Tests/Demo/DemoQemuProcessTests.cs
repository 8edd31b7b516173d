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
    [Fact]
    public async Task The_demo_with_a_QEMU_VM_shows_the_guest_s_known_answers_passed_and_finishes_with_nothing_lost()
    {
        Assert.True(QemuMachine.Find() is not null, "qemu-system-x86_64 not found (./test.sh installs it: apt-get install qemu-system-x86)");
        var root = GuestImage.RepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("Fabric.sln not found");
        var (image, error) = GuestImage.Build(Path.Combine(root, "data", "guest"), Path.Combine(root, "scripts", "guest-image.sh"));
        Assert.True(image is not null, error);
        var folder = Path.Combine(Path.GetTempPath(), "fabric-demo-vm", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
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
