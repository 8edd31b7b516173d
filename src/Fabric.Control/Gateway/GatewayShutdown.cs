using Akka;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Event;
using Fabric.Messages.Errors;

namespace Fabric.Control.Gateway;

/// <summary>
/// A gateway's part in a node's coordinated shutdown (SIGTERM, 'cluster leave'): in its first phase, before shard
/// regions hand their shards off, the gateway leaves the receptionist, refuses new requests and has every request it
/// still holds refused (<see cref="PendingRequest"/>) with <see cref="RejectReason.NodeLeaving"/>, which a client
/// retries against another control node.
/// </summary>
public static class GatewayShutdown
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    public static void Register(IActorContext context, string name)
    {
        var system = context.System;
        var gateway = context.Self;
        var node = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, $"{name}-refuse-requests", async () =>
        {
            try
            {
                await gateway.Ask<GatewayLeft>(new GatewayLeaving(node), Budget);
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                // The gateway stopped already (its system is terminating): it holds nothing any more.
            }

            return Done.Instance;
        });
    }

    /// <summary>
    /// What the leaving gateway does: each pending request (its children) refused, then out of the receptionist.
    /// <paramref name="replyTo"/> (the shutdown task) hears <see cref="GatewayLeft"/> once every pending request has
    /// answered and stopped: the shutdown goes on to terminate the actor system, and a refusal still queued then was
    /// lost (the gateway's own test failed that way, 3 runs of 5).
    /// </summary>
    public static void Leave(IActorContext context, GatewayLeaving leaving, IActorRef replyTo)
    {
        var pending = context.GetChildren().ToArray();
        foreach (var child in pending)
        {
            child.Tell(leaving);
        }

        context.ActorOf(Akka.Actor.Props.Create(() => new PendingDrain(pending, replyTo)));
        try
        {
            ClusterClientReceptionist.Get(context.System).UnregisterService(context.Self);
        }
        catch (Exception ex)
        {
            // A node whose receptionist never started (it had not joined yet) has nothing to take the gateway out of.
            context.System.Log.Warning("{0} could not leave the cluster-client receptionist: {1}", context.Self.Path.Name, ex.Message);
        }
    }

    public static Rejected Refusal(string node, string what) => new(RejectReason.NodeLeaving,
        $"{what}: control node {node} is leaving the cluster; retry with the same request id and another control node answers");
}

/// <summary>The node is shutting down: refuse, with <see cref="RejectReason.NodeLeaving"/>, what is pending and what comes.</summary>
public sealed record GatewayLeaving(string Node);

/// <summary>The gateway refused <paramref name="Pending"/> requests it held and refuses new ones.</summary>
public sealed record GatewayLeft(int Pending);

/// <summary>Watches a leaving gateway's pending requests and says <see cref="GatewayLeft"/> once all have answered.</summary>
internal sealed class PendingDrain : ReceiveActor
{
    public PendingDrain(IReadOnlyCollection<IActorRef> pending, IActorRef replyTo)
    {
        var waiting = new HashSet<IActorRef>(pending);
        foreach (var request in waiting)
        {
            Context.Watch(request);
        }

        Receive<Terminated>(t =>
        {
            if (waiting.Remove(t.ActorRef) && waiting.Count == 0)
            {
                Done(replyTo, pending.Count);
            }
        });
        if (waiting.Count == 0)
        {
            Done(replyTo, 0);
        }
    }

    private void Done(IActorRef replyTo, int answered)
    {
        replyTo.Tell(new GatewayLeft(answered));
        Context.Stop(Self);
    }
}
