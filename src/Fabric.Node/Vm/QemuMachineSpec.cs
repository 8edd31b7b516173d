namespace Fabric.Node.Vm;

/// <summary>
/// What one QEMU machine is made of: the guest image (kernel, initrd, kernel command line), its size, the vhost-user
/// sockets that each become a virtio-crypto device, and the folder its console log, guest RAM file and QMP socket go to.
/// </summary>
/// <param name="Kvm">Null: KVM when /dev/kvm opens, TCG otherwise.</param>
public sealed record QemuMachineSpec(
    string Qemu,
    string Kernel,
    string Initrd,
    string Append,
    string Folder,
    IReadOnlyList<string> VhostUserSockets,
    int MemoryMiB = 256,
    int Vcpus = 1,
    bool? Kvm = null)
{
    public string ConsoleLog => Path.Combine(Folder, "console.log");

    public string MemoryFile => Path.Combine(Folder, "guest.ram");

    /// <summary>A Unix socket path must fit sun_path (108 bytes): a deep folder gets its QMP socket in the temp folder.</summary>
    public string QmpSocket { get; init; } = QmpPath(Folder);

    private static string QmpPath(string folder)
    {
        var inFolder = Path.Combine(Path.GetFullPath(folder), "qmp.sock");
        return inFolder.Length < 100 ? inFolder : Path.Combine(Path.GetTempPath(), $"fabric-qmp-{Guid.NewGuid():N}.sock");
    }
}
