using System.Diagnostics;
using Fabric.Messages.Functions;
using Fabric.Messages.Node;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Node.Vm;
using Spectre.Console;

namespace Fabric.Node.Demo;

// demo --vm qemu: one real VM next to the process guests (docs/vhost.md, "The VHOST_USER realization").
public sealed partial class FabricDemo
{
    // TCG on a loaded machine: a boot with the kernel's self-test and the known answers takes 15 to 60 s.
    private static readonly TimeSpan s_guestBound = TimeSpan.FromSeconds(180);

    /// <summary>A QEMU VM whose virtio-crypto device is a vhost-user queue of the AC; kept off the device the demo breaks.</summary>
    private async Task<(string Vm, string Console)> StartQemuVm(string run)
    {
        var vm = $"vm-q-{run}";
        var profile = $"vm-crypto-{run}";
        var root = GuestImage.RepoRoot(AppContext.BaseDirectory) ?? Directory.GetCurrentDirectory();
        var imageDir = Path.Combine(root, "data", "guest");
        var (image, problem) = GuestImage.Build(imageDir, Path.Combine(root, "scripts", "guest-image.sh"));
        if (image is null)
        {
            throw new DemoFailedException($"--vm qemu needs the guest image: {problem}");
        }

        // An operator's profile: virtio-crypto over vhost-user, never on the fault-injecting device (its guest is not the one that fails over here).
        await vim.CreateProfile(profile, [new ConstrainedGroup(AccelerationFunctions.AesCbc, 1, null, null,
            [DeviceTraits.OfType("fault-injecting-crypto")], DeviceTraits.VhostUserAttach)]).WaitAsync(_cancellation);
        await vim.CreateAttachment($"arq-{vm}", vm, profile).WaitAsync(_cancellation);
        var seconds = Math.Max(1, (int)(duration.TotalSeconds / 3));
        var realized = await vim.SpawnVm(vm, _host, [new VmAccelerator($"arq-{vm}", null)],
            machine: new VmMachine("qemu", 256, 1, imageDir, [$"fabric.seconds={seconds}", "fabric.hold=1"])).WaitAsync(_cancellation);
        var m = realized.Machine!;
        _qemuPid = m.Pid;
        console.MarkupLine($"   {vm}: QEMU pid {m.Pid} ({m.Accelerator}), virtio-crypto on vhost-user {Markup.Escape(realized.Attachments[0].Handle?.VhostUserSocket ?? "?")} of {Markup.Escape(realized.Attachments[0].DeviceId ?? "?")}");
        console.MarkupLine($"   its console: {Markup.Escape(m.ConsoleLog)}");
        return (vm, m.ConsoleLog);
    }

    /// <summary>Waits for the guest's known answers and loops, shows them, deletes the VM; true when every known answer passed.</summary>
    private async Task<bool> FinishQemuVm(string vm, string log)
    {
        var clock = Stopwatch.StartNew();
        string Text() => File.Exists(log) ? File.ReadAllText(log) : "";
        while (!Text().Contains("FABRIC-HOLD", StringComparison.Ordinal))
        {
            if (clock.Elapsed > s_guestBound)
            {
                throw new DemoFailedException($"the QEMU guest {vm} did not finish within {s_guestBound.TotalSeconds:0} s; see {log}");
            }

            await Task.Delay(500, _cancellation);
        }

        var lines = Text().Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("FABRIC-KAT ", StringComparison.Ordinal) || l.StartsWith("FABRIC-THROUGHPUT", StringComparison.Ordinal)).ToArray();
        foreach (var line in lines)
        {
            console.MarkupLine($"   {vm}: {Markup.Escape(line)}");
        }

        await vim.DeleteVm(vm, _host).WaitAsync(_cancellation);
        _qemuPid = null;
        return lines.Any(l => l.StartsWith("FABRIC-KAT ", StringComparison.Ordinal) && l.EndsWith("failed=0", StringComparison.Ordinal));
    }
}
