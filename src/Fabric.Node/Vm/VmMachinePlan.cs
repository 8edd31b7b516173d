using System.Text.RegularExpressions;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;

namespace Fabric.Node.Vm;

/// <summary>
/// From a spawn's untrusted <see cref="VmMachine"/> and the VM's realized attachments to the QEMU command line's
/// spec, or a refusal saying which field is wrong. Every vhost-user attachment becomes a virtio-crypto device; a
/// channel or PCI attachment is not a device of the QEMU guest (it stays the VIM's to use).
/// </summary>
public static partial class VmMachinePlan
{
    public const string Qemu = "qemu";
    public const int MinMemoryMiB = 64;
    public const int MaxGuestArgs = 16;

    /// <summary>What every guest's kernel gets: the serial console, quiet, no reboot on panic (QEMU exits instead).</summary>
    public const string BaseAppend = "console=ttyS0 loglevel=3 panic=-1";

    public static (QemuMachineSpec? Spec, Rejected? Refusal) Plan(string node, string vmId, VmMachine machine, IReadOnlyList<AttachmentView> attachments, VmSettings settings)
    {
        if (!string.Equals(machine.Hypervisor, Qemu, StringComparison.OrdinalIgnoreCase))
        {
            return Refuse($"hypervisor '{machine.Hypervisor}' is not one the node starts; use '{Qemu}'");
        }

        if (vmId is null || !VmIdPattern().IsMatch(vmId))
        {
            return Refuse($"VM id '{vmId}' cannot name a QEMU machine's folder: 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }

        if (machine.MemoryMiB < MinMemoryMiB || machine.MemoryMiB > settings.MaxMemoryMiB)
        {
            return Refuse($"memory {machine.MemoryMiB} MiB is outside {MinMemoryMiB}..{settings.MaxMemoryMiB} MiB (fabric.node.vm.max-memory-mb)");
        }

        if (machine.Vcpus < 1 || machine.Vcpus > settings.MaxVcpus)
        {
            return Refuse($"{machine.Vcpus} vCPUs is outside 1..{settings.MaxVcpus} (fabric.node.vm.max-vcpus)");
        }

        var args = machine.GuestArgs ?? [];
        if (args.Count > MaxGuestArgs)
        {
            return Refuse($"{args.Count} guest arguments; at most {MaxGuestArgs}");
        }

        foreach (var arg in args)
        {
            if (arg is null || !GuestArgPattern().IsMatch(arg))
            {
                return Refuse($"guest argument '{arg}' is not fabric.NAME=VALUE (NAME: a-z 0-9 _, VALUE: 1-64 of A-Z a-z 0-9 . _ -)");
            }
        }

        if (machine.ImageDir is { } dir && (dir.Length > 4096 || !Path.IsPathFullyQualified(dir)))
        {
            return Refuse("the image folder must be an absolute path on the host");
        }

        var (image, error) = GuestImage.In(machine.ImageDir ?? settings.Image);
        if (image is null)
        {
            return (null, new Rejected(RejectReason.NotFound, $"host {node}: {error}"));
        }

        var qemu = QemuMachine.Find(settings.Qemu);
        if (qemu is null || !File.Exists(qemu))
        {
            return (null, new Rejected(RejectReason.FunctionNotSupported, $"host {node} has no {settings.Qemu ?? "qemu-system-x86_64"} (apt-get install qemu-system-x86)"));
        }

        var sockets = attachments.Select(a => a.Handle?.VhostUserSocket).OfType<string>().ToArray();
        var append = string.Join(' ', [BaseAppend, .. args]);
        return (new QemuMachineSpec(qemu, image.Kernel, image.Initrd, append, Path.Combine(settings.Directory, node, vmId), sockets,
            machine.MemoryMiB, machine.Vcpus), null);
    }

    private static (QemuMachineSpec?, Rejected?) Refuse(string message) => (null, new Rejected(RejectReason.InvalidArgument, message));

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex VmIdPattern();

    [GeneratedRegex(@"^fabric\.[a-z0-9_]{1,32}=[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex GuestArgPattern();
}
