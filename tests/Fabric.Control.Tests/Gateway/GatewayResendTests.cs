using Akka.Actor;
using Akka.Configuration;
using Fabric.Control.Configuration;
using Fabric.Control.Gateway;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Xunit;

namespace Fabric.Control.Tests.Gateway;

/// <summary>
/// A shard region that hands a shard off drops the messages it buffered for it. The gateway sends a request again
/// while it waits, so the client is answered by the shard's new home instead of waiting for the hold limit.
/// </summary>
public sealed class GatewayResendTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly ActorSystem _system = ActorSystem.Create("fabric", ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.loglevel = WARNING
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            """).WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(FabricConfig.HoconDirectory, "serialization.conf")))));

    private IActorRef _gateway = ActorRefs.Nobody;

    public Task InitializeAsync()
    {
        var region = _system.ActorOf(Props.Create(() => new DropsFirstCopy()), "attachments");
        var control = new ControlPlane(ActorRefs.Nobody, ActorRefs.Nobody, region, ActorRefs.Nobody, null);
        _gateway = _system.ActorOf(VimGateway.Props(control), VimGateway.Name);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    [Fact]
    public async Task A_request_the_region_dropped_is_sent_again_and_answered()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => _gateway.Ask<object>(new GetAttachment($"arq-{i}"), Timeout)));

        Assert.All(answers.Select((a, i) => (a, i)), x =>
            Assert.Equal($"arq-{x.i} (copy 2)", Assert.IsType<Rejected>(x.a).Message));
    }

    /// <summary>Drops the first copy of each request (as a region handing its shard off does) and answers the second.</summary>
    private sealed class DropsFirstCopy : ReceiveActor
    {
        private readonly Dictionary<string, int> _seen = new();

        public DropsFirstCopy() => Receive<GetAttachment>(get =>
        {
            var copy = _seen[get.AttachmentId] = _seen.GetValueOrDefault(get.AttachmentId) + 1;
            if (copy > 1)
            {
                Sender.Tell(new Rejected(RejectReason.NotFound, $"{get.AttachmentId} (copy {copy})"));
            }
        });
    }
}
