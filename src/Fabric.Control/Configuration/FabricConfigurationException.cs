namespace Fabric.Control.Configuration;

/// <summary>
/// A setting or the environment keeps the node from starting; the message says what to fix, and
/// <see cref="ExitCode"/> is what fabric-node exits with (README: start-up refusals).
/// </summary>
public sealed class FabricConfigurationException(string message, Exception? inner = null, int exitCode = FabricConfigurationException.Refused)
    : Exception(message, inner)
{
    /// <summary>The exit code of every refusal that has no code of its own (port in use, options, seeds, cluster).</summary>
    public const int Refused = 1;

    public int ExitCode { get; } = exitCode;
}
