namespace Fabric.Guest;

/// <summary>Receives progress from the workload's thread, once per interval (never per operation).</summary>
public interface IGuestProgressSink
{
    void Report(in GuestProgress progress);
}
