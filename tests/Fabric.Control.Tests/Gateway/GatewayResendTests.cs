using Akka.Actor;
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

    private readonly ActorSystem _system = GatewayRig.System();

    private IActorRef _gateway = ActorRefs.Nobody;

    public Task InitializeAsync()
    {
        _gateway = GatewayRig.Gateway(_system, Props.Create(() => new DropsFirstCopy()));
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
