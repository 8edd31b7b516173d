using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Fabric.Control;
using Fabric.Control.Hosting;
using Fabric.Control.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Fabric.Control.Tests.Hosting;

/// <summary>
/// The control plane's wiring on a node without the control role, through Akka.Hosting as fabric-node does it: the four
/// regions are proxies in the ActorRegistry, and nothing of the read side or the gateways runs there.
/// </summary>
public sealed class ComputeOnlyHostingTests
{
    [Fact]
    public async Task The_regions_are_proxies_and_the_read_side_is_absent()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddAkka("fabric", akka => akka
            .AddHocon("akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }", HoconAddMode.Prepend)
            .WithClustering()
            .WithControlPlane(control: false));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        try
        {
            var registry = host.Services.GetRequiredService<ActorRegistry>();
            var control = ControlPlane.From(registry);

            foreach (var region in new[] { control.Devices, control.Profiles, control.Attachments, control.Pipelines })
            {
                Assert.EndsWith("Proxy", region.Path.Name);
            }

            Assert.Same(control.Devices, await host.Services.GetRequiredService<IRequiredActor<DeviceRegion>>().GetAsync());
            Assert.Null(control.Placement);
            Assert.Null(control.ProfileIndex);
            Assert.Null(control.AttachmentIndex);
            Assert.Null(control.PipelineIndex);
            Assert.False(registry.TryGet<VimGatewayActor>(out _), "a compute-only node runs no VIM gateway");
            Assert.False(registry.TryGet<OperatorGatewayActor>(out _), "a compute-only node runs no operator gateway");
        }
        finally
        {
            await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void A_node_agent_is_addressed_the_same_on_every_member()
    {
        var address = new Address("akka.tcp", "fabric", "10.0.0.7", 4053);

        Assert.Equal("akka.tcp://fabric@10.0.0.7:4053/user/node-agent", NodeAgentPath.Of(address).ToString());
    }
}
