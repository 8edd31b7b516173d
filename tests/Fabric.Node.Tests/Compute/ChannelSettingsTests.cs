using Akka.Configuration;
using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>fabric.node.channels: sealed memfds by default, the path mode only when asked, nothing else.</summary>
public sealed class ChannelSettingsTests
{
    [Fact]
    public void Channels_are_sealed_by_default_and_the_path_mode_is_opt_in()
    {
        var defaults = ComputeSettings.From(ConfigurationFactory.ParseString("fabric.node {}"));
        Assert.False(defaults.ChannelPathMode);
        Assert.Null(defaults.ChannelRoot);

        var path = ComputeSettings.From(ConfigurationFactory.ParseString("fabric.node.channels { mode = path, directory = \"/tmp/x\" }"));
        Assert.True(path.ChannelPathMode);
        Assert.Equal("/tmp/x", path.ChannelRoot);
    }

    [Fact]
    public void An_unknown_channel_mode_is_refused_naming_the_setting()
    {
        var refused = Assert.Throws<ArgumentException>(() => ComputeSettings.From(ConfigurationFactory.ParseString("fabric.node.channels.mode = file")));
        Assert.Contains("fabric.node.channels.mode", refused.Message);
    }
}
