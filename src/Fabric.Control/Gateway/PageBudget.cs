using Akka.Actor;

namespace Fabric.Control.Gateway;

/// <summary>
/// How many bytes one page of a list may take when serialized: half the remoting frame
/// (<c>akka.remote.dot-netty.tcp.maximum-frame-size</c>, 1 MiB in hocon/fabric.conf), which leaves the other half for
/// the envelope (paths, manifest) and for a client whose frame is the same size. A reply over the frame is not an
/// error anyone hears: the remoting layer drops it and the client waits in vain.
/// </summary>
public sealed record PageBudget(Akka.Serialization.Serialization Serialization, long MaxBytes)
{
    private const long DefaultFrame = 1024 * 1024;

    public static PageBudget Of(ActorSystem system)
    {
        var frame = system.Settings.Config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size", null) ?? DefaultFrame;
        return new PageBudget(system.Serialization, frame / 2);
    }

    public long SizeOf(object message) => Serialization.FindSerializerFor(message).ToBinary(message).LongLength;
}
