using Fabric.Messages.Errors;

namespace Fabric.Vim.Client;

/// <summary>The fabric refused the request; <see cref="Rejected"/> says why.</summary>
public sealed class FabricRejectedException(Rejected rejected) : Exception(rejected.ToString())
{
    public Rejected Rejected { get; } = rejected;
}

/// <summary>No gateway answered: the contact points are wrong or the fabric is down.</summary>
public sealed class FabricUnreachableException(string message) : Exception(message);

/// <summary>A contact point is not an address (host:port, or akka.tcp://fabric@host:port).</summary>
public sealed class ContactPointException(string message) : Exception(message);
