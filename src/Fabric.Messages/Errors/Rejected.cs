namespace Fabric.Messages.Errors;

/// <summary>The typed error every entity answers with: a reason code for programs and a message for people.</summary>
public sealed record Rejected(RejectReason Reason, string Message) : IFabricMessage
{
    public override string ToString() => $"{Reason}: {Message}";
}
