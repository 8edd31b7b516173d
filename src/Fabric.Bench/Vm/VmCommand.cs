using System.CommandLine;

namespace Fabric.Bench.Vm;

/// <summary><c>fabric-bench vm</c>: a real QEMU guest's kernel crypto API on a vhost-user queue of the AC.</summary>
public static class VmCommand
{
    public static Command Create()
    {
        var image = new Option<string>("--image") { Description = "folder with the guest's vmlinuz and initrd.gz (built by scripts/guest-image.sh when missing)", DefaultValueFactory = _ => Path.Combine("data", "guest") };
        var qemu = new Option<string?>("--qemu") { Description = "qemu-system-x86_64 to run (default: /usr/bin or /usr/local/bin)" };
        var seconds = new Option<double>("--seconds") { Description = "seconds of each in-guest throughput loop (virtio-crypto, then the guest's own cbc(aes))", DefaultValueFactory = _ => 2 };
        var timeout = new Option<double>("--timeout") { Description = "seconds the guest may take from QEMU start to power-off before it is killed", DefaultValueFactory = _ => 180 };
        var json = new Option<bool>("--json") { Description = "print one JSON object (and nothing else) on stdout" };
        var command = new Command("vm", "boot the guest image under QEMU on a vhost-user virtio-crypto device served by the AC: in-guest KATs, boot time, virtio-crypto vs the guest's own AES-CBC, host ops/s (exit 0 all KATs passed, 1 a KAT failed or the guest hung, 2 bad arguments, 3 QEMU/DPDK/image missing)")
        {
            image, qemu, seconds, timeout, json,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var s = parse.GetValue(seconds);
            var t = parse.GetValue(timeout);
            if (s is < 0 or > 600 || t is <= 0 or > 3600)
            {
                Console.Error.WriteLine("fabric-bench vm: --seconds must be 0..600 and --timeout 1..3600");
                return 2;
            }
            var settings = new VmBench.Settings(parse.GetValue(image)!, parse.GetValue(qemu), s, TimeSpan.FromSeconds(t), parse.GetValue(json));
            return await VmBench.RunAsync(settings, cancellation);
        });
        return command;
    }
}
