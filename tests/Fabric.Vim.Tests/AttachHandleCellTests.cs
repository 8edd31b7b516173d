using Fabric.Messages.Attachments;
using Fabric.Vim.Cli;
using Xunit;

namespace Fabric.Vim.Tests;

/// <summary>The attach handle column of fabric-vim's and fabric-cmd's attachment tables says what kind of handle it is.</summary>
public class AttachHandleCellTests
{
    [Fact]
    public void Channel_vhost_user_and_PCI_handles_are_told_apart()
    {
        Assert.Equal("/run/fabric/arq-1.sock", Tables.Handle(new AttachHandle("host-1", "/run/fabric/arq-1.sock", 2, 1024, 1024, 128, 65536)));
        Assert.Equal("vhost-user /var/lib/fabric/vhost/arq-1.sock", Tables.Handle(new VhostUserAttachHandle("host-1", "/var/lib/fabric/vhost/arq-1.sock")));
        Assert.Equal("PCI 0000:3d:01.2", Tables.Handle(new PciAttachHandle("host-1", "0000:3d:01.2")));
        Assert.Equal("-", Tables.Handle(null));
    }
}
