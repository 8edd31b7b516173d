using Akka.Actor;
using Fabric.Control;
using Fabric.Control.Hosting;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Functions;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Spectre.Console;

namespace Fabric.Node.Demo;

/// <summary>
/// Walks a one-host fabric through the accelerator life cycle of two VMs: the host's software devices register,
/// a device profile is created, each VM's attachment is created and bound, a pipeline is defined, a device
/// fails and its attachment moves, and everything is released again. Every step is a command to the AML's
/// persistent entities; the tables show what they answered.
/// </summary>
public sealed class ControlPlaneDemo(FabricNode node, IAnsiConsole console)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly ControlPlane _control = node.Control;
    private readonly string _host = node.Options.NodeName;

    public async Task<bool> RunAsync()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        console.Write(new Rule($"[bold]Fabric demo[/] on host [cyan]{_host}[/]").LeftJustified());

        console.MarkupLine("[bold]1.[/] The host's software g-drivers register as devices");
        string[] crypto = [AccelerationFunctions.Aes256Gcm, AccelerationFunctions.ChaCha20Poly1305, AccelerationFunctions.Sha256, AccelerationFunctions.HmacSha256, AccelerationFunctions.Crc32C];
        await Ask<DeviceView>(_control.Devices, new RegisterDevice($"{_host}/sw-crypto-0", _host, "sw-crypto", crypto, 4, NewId()));
        await Ask<DeviceView>(_control.Devices, new RegisterDevice($"{_host}/sw-crypto-1", _host, "sw-crypto", crypto, 4, NewId()));
        await Ask<DeviceView>(_control.Devices, new RegisterDevice($"{_host}/sw-compression-0", _host, "sw-compression",
            [AccelerationFunctions.Deflate, AccelerationFunctions.Brotli, AccelerationFunctions.Crc32C], 4, NewId()));
        await ShowDevices();

        console.MarkupLine("[bold]2.[/] A device profile: one AES-256-GCM queue pair and SHA-256");
        var profile = $"secure-channel-{run}";
        await Ask<ProfileView>(_control.Profiles, new CreateProfile(profile,
            [new ProfileGroup(AccelerationFunctions.Aes256Gcm, 1), new ProfileGroup(AccelerationFunctions.Sha256, 1)], NewId()));
        var bad = await _control.Profiles.Ask<object>(new CreateProfile($"broken-{run}", [new ProfileGroup("rot13", 0)], NewId()), Timeout);
        console.MarkupLine($"   a profile with an unknown function is refused: [yellow]{Markup.Escape(bad.ToString() ?? "")}[/]");

        console.MarkupLine("[bold]3.[/] Two VMs ask for accelerators; each request is bound to a device with free capacity");
        await AwaitPlacement(3);
        var attachments = new List<AttachmentView>();
        foreach (var vm in new[] { $"vm-a-{run}", $"vm-b-{run}" })
        {
            var id = $"arq-{vm}";
            await Ask<AttachmentView>(_control.Attachments, new CreateAttachment(id, vm, profile, NewId()));
            attachments.Add(await Ask<AttachmentView>(_control.Attachments, new BindAttachment(id, _host, NewId())));
            await Ask<PipelineView>(_control.Pipelines, new DefinePipeline($"{id}/seal", id, [AccelerationFunctions.Aes256Gcm, AccelerationFunctions.Sha256], NewId()));
        }

        ShowAttachments(attachments);
        await ShowDevices();

        console.MarkupLine("[bold]4.[/] A device fails: its attachment is rebound to another device of the same functions on the host");
        var victim = attachments[0];
        await Ask<DeviceView>(_control.Devices, new SetDeviceHealth(victim.DeviceId!, DeviceHealth.Failed, "demo: injected fault", NewId()));
        attachments[0] = await Ask<AttachmentView>(_control.Attachments, new RebindAttachment(victim.AttachmentId, null, "device failed", NewId()));
        ShowAttachments(attachments);
        await ShowDevices();

        console.MarkupLine("[bold]5.[/] The VMs are deleted: their requests are deleted and the capacity comes back");
        foreach (var attachment in attachments)
        {
            await Ask<AttachmentView>(_control.Attachments, new DeleteAttachment(attachment.AttachmentId, NewId()));
        }

        await Ask<DeviceView>(_control.Devices, new SetDeviceHealth(victim.DeviceId!, DeviceHealth.Healthy, "demo: repaired", NewId()));
        var devices = await ShowDevices();
        var balanced = devices.All(d => d.ReservedQueuePairs == 0);
        console.MarkupLine(balanced
            ? "[green]Done: every queue pair is free again and every step is in the journal.[/]"
            : "[red]Queue pairs are still held after the VMs were deleted.[/]");
        return balanced;
    }

    private async Task<IReadOnlyList<DeviceView>> ShowDevices()
    {
        var ids = new[] { "sw-crypto-0", "sw-crypto-1", "sw-compression-0" }.Select(d => $"{_host}/{d}");
        var devices = await Task.WhenAll(ids.Select(id => Ask<DeviceView>(_control.Devices, new GetDevice(id))));
        var table = new Table().AddColumns("device", "type", "health", "queue pairs used", "functions");
        foreach (var d in devices)
        {
            var health = d.Health == DeviceHealth.Healthy ? "[green]Healthy[/]" : $"[red]{d.Health}[/]";
            table.AddRow(d.DeviceId, d.Type, health, $"{d.ReservedQueuePairs}/{d.CapacityQueuePairs}", string.Join(" ", d.Functions));
        }

        console.Write(table);
        return devices;
    }

    private void ShowAttachments(IEnumerable<AttachmentView> attachments)
    {
        var table = new Table().AddColumns("attachment", "vm", "state", "device");
        foreach (var a in attachments)
        {
            table.AddRow(a.AttachmentId, a.VmId, a.Status.ToString(), a.DeviceId ?? "-");
        }

        console.Write(table);
    }

    private async Task AwaitPlacement(int devices)
    {
        while ((await _control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, Timeout)).Devices.Count(d => d.Node == _host) < devices)
        {
            await Task.Delay(50);
        }
    }

    private static async Task<T> Ask<T>(IActorRef region, object message)
    {
        var reply = await region.Ask<object>(message, Timeout);
        return reply switch
        {
            T typed => typed,
            Rejected rejected => throw new DemoFailedException($"{message.GetType().Name} was refused: {rejected}"),
            _ => throw new DemoFailedException($"{message.GetType().Name}: unexpected answer {reply}"),
        };
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}

public sealed class DemoFailedException(string message) : Exception(message);
