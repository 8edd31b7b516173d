namespace Fabric.Guest.Tests;

/// <summary>A progress sink a test can await: completes once a report satisfies the condition.</summary>
internal sealed class ProgressProbe : IGuestProgressSink
{
    private readonly Func<GuestProgress, bool> _condition;
    private readonly TaskCompletionSource<GuestProgress> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _reports;

    public ProgressProbe(Func<GuestProgress, bool> condition) => _condition = condition;

    public Task<GuestProgress> Reached => _reached.Task;

    public int Reports => Volatile.Read(ref _reports);

    public void Report(in GuestProgress progress)
    {
        Interlocked.Increment(ref _reports);
        if (_condition(progress))
        {
            _reached.TrySetResult(progress);
        }
    }
}
