using Fabric.Messages.Placement;
using Fabric.Node.Compute;
using Fabric.Node.Dpdk;
using Xunit;

namespace Fabric.Node.Tests.Dpdk;

/// <summary>Which devices of a node offer the VHOST_USER attach type, which function a vhost-user queue runs, and where its socket lives.</summary>
public sealed class VhostAttachTests
{
    private static readonly DeviceSpec s_crypto = new("h/sw-crypto-0", "sw-crypto-0", "software-crypto", ["aes-256-gcm", "aes-cbc", "aes-128-cbc"], 8, false);
    private static readonly DeviceSpec s_crc = new("h/sw-crc-0", "sw-crc-0", "software-crc", ["crc32c"], 8, false);
    private static readonly DeviceSpec s_pci = new("h/qat-pf0", "qat-pf0", "intel-qat", ["aes-cbc"], 2, false, [DeviceTraits.OfAttach(DeviceTraits.PciAttach)], ["0000:3d:01.1", "0000:3d:01.2"]);

    [Fact]
    public void Devices_of_a_node_with_EAL_whose_functions_virtio_crypto_speaks_offer_VHOST_USER_and_keep_the_channel()
    {
        var offered = VhostAttach.Offer([s_crypto, s_crc, s_pci], ealRunning: true);

        var crypto = DeviceTraits.Effective(s_crypto.Type, s_crypto.Functions, offered[0].Traits, null);
        Assert.Contains(DeviceTraits.OfAttach(DeviceTraits.VhostUserAttach), crypto);
        Assert.Contains(DeviceTraits.OfAttach(DeviceTraits.ChannelAttach), crypto);
        Assert.Null(offered[1].Traits);
        Assert.Equal(s_pci.Traits, offered[2].Traits);
    }

    [Fact]
    public void Without_EAL_no_device_offers_VHOST_USER()
    {
        var offered = VhostAttach.Offer([s_crypto, s_crc], ealRunning: false);

        Assert.All(offered, d => Assert.DoesNotContain(DeviceTraits.OfAttach(DeviceTraits.VhostUserAttach),
            DeviceTraits.Effective(d.Type, d.Functions, d.Traits, null)));
    }

    [Fact]
    public void Offering_twice_adds_each_attach_trait_once()
    {
        var twice = VhostAttach.Offer(VhostAttach.Offer([s_crypto], true), true);

        Assert.Equal(2, twice[0].Traits!.Count);
    }

    [Theory]
    [InlineData(new string[0], "aes-cbc", null)]
    [InlineData(new[] { "aes-128-cbc" }, "aes-128-cbc", null)]
    [InlineData(new[] { "aes-256-gcm" }, null, "aes-256-gcm cannot be served over vhost-user")]
    [InlineData(new[] { "aes-cbc", "sha256" }, null, "runs one function")]
    public void The_function_of_a_vhost_user_queue_is_the_group_s_or_the_device_s_first_virtio_crypto_one(string[] named, string? function, string? problem)
    {
        var (chosen, why) = VhostAttach.FunctionFor(named, s_crypto.Functions);

        Assert.Equal(function, chosen);
        if (problem is null)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.Contains(problem, why);
        }
    }

    [Fact]
    public void A_device_with_no_virtio_crypto_function_gives_a_reason()
    {
        var (chosen, why) = VhostAttach.FunctionFor([], s_crc.Functions);

        Assert.Null(chosen);
        Assert.Contains("AES-CBC", why);
    }

    [Fact]
    public void The_socket_is_per_node_and_port_and_a_root_too_long_for_sun_path_is_refused_naming_the_setting()
    {
        Assert.Equal("/var/lib/fabric/vhost/host-1-4053/arq-1.sock", VhostAttach.SocketPath("/var/lib/fabric/vhost", "host-1", 4053, "arq-1"));
        // A long id is replaced by a digest, so the path still fits.
        Assert.True(VhostAttach.SocketPath("/v", "h", 1, new string('a', 200)).Length < 108);

        var refused = Assert.Throws<ArgumentException>(() => VhostAttach.SocketPath("/" + new string('d', 100), "host-1", 4053, "arq-1"));
        Assert.Contains("fabric.node.vm.vhost-directory", refused.Message);
    }
}
