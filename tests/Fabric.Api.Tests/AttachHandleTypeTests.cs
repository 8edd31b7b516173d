using Fabric.Api.Hosting;
using Fabric.Api.Requests;
using Fabric.Messages.Attachments;
using Fabric.Messages.Profiles;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>
/// attach_handle_type and attach_handle_info of each realization: Fabric's channel, Cyborg's PCI, and Fabric's
/// VHOST_USER extension (docs/cyborg-compat.md) with the socket a VM's QEMU connects to.
/// </summary>
public class AttachHandleTypeTests
{
    [Fact]
    public void Each_realization_has_its_type_and_info()
    {
        var vhost = Render(new VhostUserAttachHandle("host-1", "/var/lib/fabric/vhost/arq-1.sock"));
        Assert.Equal("VHOST_USER", (string?)vhost["attach_handle_type"]);
        Assert.Equal("/var/lib/fabric/vhost/arq-1.sock", (string?)vhost["attach_handle_info"]!["socket_path"]);
        Assert.Equal("host-1", (string?)vhost["attach_handle_info"]!["node"]);
        Assert.Null(vhost["attach_handle_info"]!["channel_path"]);

        var pci = Render(new PciAttachHandle("host-1", "0000:3d:01.2"));
        Assert.Equal("PCI", (string?)pci["attach_handle_type"]);
        Assert.Equal("3d", (string?)pci["attach_handle_info"]!["bus"]);

        var channel = Render(new AttachHandle("host-1", "/run/fabric/arq-1.sock", 2, 1024, 1024, 128, 65536));
        Assert.Equal("FABRIC_CHANNEL", (string?)channel["attach_handle_type"]);
        Assert.Equal("/run/fabric/arq-1.sock", (string?)channel["attach_handle_info"]!["channel_path"]);

        Assert.Equal("", ArqStates.TypeOf(null));
    }

    private static System.Text.Json.Nodes.JsonObject Render(AttachHandle handle)
    {
        var view = new AttachmentView("arq-1", "vm-1", "seal", AttachmentStatus.Attached, [new ProfileGroup("aes-128-cbc", 1)], "host-1/sw-crypto-0", "host-1",
            ["aes-128-cbc"], handle, null, null);
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddOptions().Configure<ApiOptions>(_ => { }).BuildServiceProvider(),
        };
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1", 6666);
        return ArqStates.Render(context.Request, new Arq(Guid.NewGuid().ToString("D"), 0, view));
    }
}
