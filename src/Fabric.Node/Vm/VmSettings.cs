using Akka.Configuration;

namespace Fabric.Node.Vm;

/// <summary>The VM machines a node agent starts (spawn with <c>--hypervisor qemu</c>), from <c>fabric.node.vm</c> in hocon/node.conf.</summary>
/// <param name="Qemu">qemu-system-x86_64; null: looked up in /usr/bin, /usr/local/bin.</param>
/// <param name="Image">The default guest image folder (vmlinuz, initrd.gz).</param>
/// <param name="Directory">Root of the VMs' folders (console log, guest RAM file, QMP socket): &lt;root&gt;/&lt;node&gt;/&lt;vm&gt;.</param>
/// <param name="VhostDirectory">Root of the vhost-user sockets of VHOST_USER attachments: &lt;root&gt;/&lt;node&gt;-&lt;port&gt;/&lt;attachment&gt;.sock.</param>
public sealed record VmSettings(
    string? Qemu,
    string Image,
    string Directory,
    TimeSpan StopGrace,
    TimeSpan StartTimeout,
    int MaxMemoryMiB,
    int MaxVcpus,
    string VhostDirectory)
{
    public static VmSettings Default { get; } = From(Config.Empty);

    public static VmSettings From(Config config)
    {
        var vm = config.GetConfig("fabric.node.vm") ?? Config.Empty;
        return new VmSettings(
            Qemu: vm.GetString("qemu", "") is { Length: > 0 } qemu ? qemu : null,
            Image: Path.GetFullPath(vm.GetString("image", "") is { Length: > 0 } image ? image : Path.Combine("data", "guest")),
            Directory: Path.GetFullPath(vm.GetString("directory", "") is { Length: > 0 } dir ? dir : Path.Combine("data", "vms")),
            StopGrace: vm.GetTimeSpan("stop-grace", TimeSpan.FromSeconds(5)),
            StartTimeout: vm.GetTimeSpan("start-timeout", TimeSpan.FromSeconds(30)),
            MaxMemoryMiB: vm.GetInt("max-memory-mb", 4096),
            MaxVcpus: vm.GetInt("max-vcpus", Math.Max(1, Environment.ProcessorCount)),
            VhostDirectory: Path.GetFullPath(vm.GetString("vhost-directory", "") is { Length: > 0 } vhost ? vhost : Path.Combine("data", "vhost")));
    }
}
