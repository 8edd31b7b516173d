using Akka.Actor;
using Fabric.Messages.Errors;

namespace Fabric.Node.Compute;

// How a saga asks: every reply is the one it expects or a Rejected, and silence is a Timeout refusal naming who was
// silent; a refusal ends the saga's step (SagaException), which its caller turns into the requester's answer.
public sealed partial class VmSaga
{
    private async Task<T> Ask<T>(IActorRef to, object message, string who, TimeSpan? timeout = null)
    {
        object reply;
        var within = timeout ?? _settings.AskTimeout;
        try
        {
            reply = await to.Ask<object>(message, within);
        }
        catch (AskTimeoutException)
        {
            throw Refuse(RejectReason.Timeout, $"{who} did not answer {message.GetType().Name} within {within.TotalSeconds:0.#}s");
        }

        return reply switch
        {
            T typed => typed,
            Rejected rejected => throw new SagaException(rejected),
            _ => throw Refuse(RejectReason.IllegalState, $"unexpected answer {reply.GetType().Name} to {message.GetType().Name}"),
        };
    }

    private static SagaException Refuse(RejectReason reason, string message) => new(new Rejected(reason, message));

    private sealed class SagaException(Rejected rejected) : Exception(rejected.Message)
    {
        public Rejected Rejected { get; } = rejected;
    }
}
