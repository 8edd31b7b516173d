using System.Runtime.InteropServices;

namespace Fabric.Node.Demo;

/// <summary>
/// SIGTERM and SIGINT during the demo: the first cancels it (the demo stops its guests and QEMU by pid, the node leaves,
/// fabric-node exits <see cref="ExitCode"/>); a second one is left to the runtime, which ends the process at once.
/// The demo takes the signals itself, not System.CommandLine: that one cancels a token and then waits up to its
/// termination timeout for an action that never looked at it, which is how a demo once outlived SIGTERM by 30 s.
/// </summary>
public sealed class DemoSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly PosixSignalRegistration _terminate;
    private readonly PosixSignalRegistration _interrupt;
    private int _received;

    public DemoSignals(CancellationToken outer = default)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>The first signal received, if any.</summary>
    public PosixSignal? Signal { get; private set; }

    public bool Interrupted => Signal is not null;

    /// <summary>The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).</summary>
    public int ExitCode => Signal == PosixSignal.SIGINT ? 130 : 143;

    /// <summary>The one line fabric-node prints when interrupted.</summary>
    public string Message => $"fabric-node demo: interrupted by {Signal}: guests and QEMU stopped, the node left";

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) > 1)
        {
            // A second signal: the default action, the process ends now.
            return;
        }

        context.Cancel = true;
        Signal = context.Signal;
        _cancel.Cancel();
    }

    public void Dispose()
    {
        _terminate.Dispose();
        _interrupt.Dispose();
        _cancel.Dispose();
    }
}
