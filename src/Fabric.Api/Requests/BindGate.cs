namespace Fabric.Api.Requests;

/// <summary>
/// Where a bind waits before its spawn is sent to the fabric and before its outcome is reported: not at all. Tests hold
/// binds here to stop a fabric-api in the middle of one, as a crash would.
/// </summary>
public class BindGate
{
    public virtual Task BeforeSpawn(string instance) => Task.CompletedTask;

    public virtual Task BeforeReport(string instance) => Task.CompletedTask;
}
