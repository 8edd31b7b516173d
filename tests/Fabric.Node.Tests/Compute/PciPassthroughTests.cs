using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Node.Compute;
using Fabric.Node.Hio;
using Fabric.Node.Tests.Hio;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>
/// Cyborg's model for hardware: VFs bound to vfio-pci (a sysfs fixture: a QAT C62x PF with three VFs, two of them on
/// vfio-pci) are one PCI device of two units, realized as PCI attach handles.
/// </summary>
public sealed class PciPassthroughTests
{
    private const string Pf = "0000:3d:00.0";

    private static SysfsFixture QatWithVfs()
    {
        var sysfs = SysfsFixture.Scratch();
        sysfs.AddDevice(Pf, "0x8086", "0x37c8", "0x0b4000", driver: "c6xx");
        foreach (var (vf, driver) in new[] { ("0000:3d:01.0", "vfio-pci"), ("0000:3d:01.1", "vfio-pci"), ("0000:3d:01.2", "c6xxvf") })
        {
            sysfs.AddDevice(vf, "0x8086", "0x37c9", "0x0b4000", driver: driver);
            File.CreateSymbolicLink(Path.Combine(sysfs.DevicesDirectory, vf, "physfn"), $"../{Pf}");
        }

        return sysfs;
    }

    [Fact]
    public void The_vfs_of_a_physical_function_bound_to_vfio_pci_are_one_device_with_one_unit_each()
    {
        using var sysfs = QatWithVfs();
        var hio = new HioScanner(sysfs.Root).Discover();
        var settings = ComputeSettings.From(Akka.Configuration.ConfigurationFactory.Empty);

        var spec = Assert.Single(ComputeRole.Devices("h", hio, settings), d => d.PciFunctions is not null);

        Assert.Equal("h/intel-qat-vfs-0000-3d-00-0", spec.DeviceId);
        Assert.Equal(2, spec.QueuePairs);
        Assert.Equal(["0000:3d:01.0", "0000:3d:01.1"], spec.PciFunctions);
        Assert.Equal(["CUSTOM_FABRIC_ATTACH_PCI", "CUSTOM_FABRIC_VENDOR_8086", "CUSTOM_FABRIC_MODEL_8086_37C9"], spec.Traits);
        Assert.DoesNotContain(ComputeRole.Devices("h", hio, settings with { PciPassthrough = false }), d => d.PciFunctions is not null);
    }

    [Fact]
    public async Task A_profile_asking_for_PCI_gets_a_VF_each_until_they_are_all_held_and_a_deleted_VM_gives_its_VF_back()
    {
        using var sysfs = QatWithVfs();
        await using var fabric = await TwoNodeFabric.StartAsync(sysfsRoot: sysfs.Root, hardwareDevices: 1);
        var control = fabric.ControlNode.Control;
        var pciGroup = new ConstrainedGroup("", 1, ["CUSTOM_QAT"], ["CUSTOM_FABRIC_MODEL_8086_37C9"], null, DeviceTraits.PciAttach);
        await fabric.Ask<ProfileView>(control.Profiles, new CreateProfile("qat-vf", [pciGroup], TwoNodeFabric.NewId()));
        foreach (var i in new[] { 1, 2, 3 })
        {
            await fabric.Ask<AttachmentView>(control.Attachments, new CreateAttachment($"arq-vf{i}", $"vm-vf{i}", "qat-vf", TwoNodeFabric.NewId()));
        }

        var first = Assert.Single((await fabric.Ask<VmRealized>(fabric.Agent, new SpawnVm("vm-vf1", [new VmAccelerator("arq-vf1", null)], TwoNodeFabric.NewId()))).Attachments);
        var second = Assert.Single((await fabric.Ask<VmRealized>(fabric.Agent, new SpawnVm("vm-vf2", [new VmAccelerator("arq-vf2", null)], TwoNodeFabric.NewId()))).Attachments);

        Assert.Equal(AttachmentStatus.Attached, first.Status);
        Assert.Equal($"{fabric.Host}/intel-qat-vfs-0000-3d-00-0", first.DeviceId);
        Assert.Equal(["0000:3d:01.0", "0000:3d:01.1"], new[] { first.Handle!.PciAddress, second.Handle!.PciAddress }.Order());
        var full = await fabric.Ask<Rejected>(fabric.Agent, new SpawnVm("vm-vf3", [new VmAccelerator("arq-vf3", null)], TwoNodeFabric.NewId()));
        Assert.Equal(RejectReason.NoCapacity, full.Reason);
        Assert.Contains("with 1 free queue pair(s)", full.Message);

        await fabric.Ask<VmStopped>(fabric.Agent, new StopVm("vm-vf1", DeleteAttachments: true, TwoNodeFabric.NewId()));
        var third = Assert.Single((await fabric.Ask<VmRealized>(fabric.Agent, new SpawnVm("vm-vf3", [new VmAccelerator("arq-vf3", null)], TwoNodeFabric.NewId()))).Attachments);
        Assert.Equal(first.Handle.PciAddress, third.Handle!.PciAddress);
        var device = await fabric.Ask<DeviceView>(control.Devices, new GetDevice(first.DeviceId!));
        Assert.Equal(2, device.ReservedQueuePairs);
        Assert.Contains("CUSTOM_FABRIC_ATTACH_PCI", device.Traits!);
    }
}
