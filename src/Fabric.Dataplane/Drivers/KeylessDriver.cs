using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// The session half of <see cref="IGDriver"/> for a driver that needs no key: a session is accepted (so guests can
/// treat every queue alike) and carries nothing. A keyed driver built on it overrides the session members.
/// </summary>
public abstract class KeylessDriver : IGDriver
{
    public abstract string Function { get; }

    public abstract DriverKind Kind { get; }

    public virtual int DigestSize => 0;

    public virtual bool RequiresSession => false;

    public virtual OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session)
    {
        session = null;
        return OpStatus.Ok;
    }

    public virtual void CloseSession(object? session)
    {
    }

    public abstract OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written);

    public virtual void Dispose()
    {
    }
}
