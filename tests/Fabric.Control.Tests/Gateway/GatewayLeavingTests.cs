using Akka.Actor;
using Fabric.Control.Gateway;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Xunit;

namespace Fabric.Control.Tests.Gateway;

/// <summary>
/// A control node that shuts down while its gateway holds requests: a shard region that buffers them (its shards are
/// moving) is stood in for by an actor that never answers. Every request still gets a typed answer.
/// </summary>
public sealed class GatewayLeavingTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly ActorSystem _system = GatewayRig.System();

    private IActorRef _gateway = ActorRefs.Nobody;

    public Task InitializeAsync()
    {
        _gateway = GatewayRig.Gateway(_system, Props.Create(() => new Holding()));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    [Fact]
    public async Task Requests_held_when_the_node_shuts_down_are_refused_as_node_leaving()
    {
        var held = Enumerable.Range(0, 20).Select(i => _gateway.Ask<object>(new GetAttachment($"arq-{i}"), Timeout)).ToArray();
        // Once the region holds them all, only the shutdown can answer them.
        await Eventually.Until(async () => await _system.ActorSelection("/user/attachments").Ask<int>(Holding.Count.Instance, Timeout) >= held.Length,
            "the region did not get the requests", Timeout, TimeSpan.FromMilliseconds(10));

        var shutdown = CoordinatedShutdown.Get(_system).Run(CoordinatedShutdown.ClrExitReason.Instance);
        var answers = await Task.WhenAll(held);

        Assert.All(answers, answer =>
        {
            var rejected = Assert.IsType<Rejected>(answer);
            Assert.Equal(RejectReason.NodeLeaving, rejected.Reason);
            Assert.Contains("retry with the same request id", rejected.Message);
        });
        await shutdown.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_leaving_gateway_refuses_new_requests_at_once()
    {
        var left = await _gateway.Ask<GatewayLeft>(new GatewayLeaving("akka.tcp://fabric@127.0.0.1:1"), Timeout);

        var answer = await _gateway.Ask<object>(new GetAttachment("arq-late"), Timeout);

        Assert.Equal(0, left.Pending);
        Assert.Equal(RejectReason.NodeLeaving, Assert.IsType<Rejected>(answer).Reason);
    }

    /// <summary>A shard region whose shards are on the move: it keeps what it gets.</summary>
    private sealed class Holding : ReceiveActor
    {
        private int _held;

        public Holding()
        {
            Receive<Count>(_ => Sender.Tell(_held));
            ReceiveAny(_ => _held++);
        }

        public sealed class Count
        {
            public static Count Instance { get; } = new();
        }
    }
}
