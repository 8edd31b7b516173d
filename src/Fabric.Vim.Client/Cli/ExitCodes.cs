namespace Fabric.Vim.Cli;

/// <summary>What fabric-vim's exit code means, for scripts.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The fabric refused the request (the message says why).</summary>
    public const int Refused = 1;
    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;
    /// <summary>No gateway answered (contact points wrong, fabric down).</summary>
    public const int Unreachable = 3;
}
