namespace Fabric.Guest;

/// <summary>Exit codes of fabric-guest; scripts (and the VIM that spawned the "VM") branch on them.</summary>
public static class GuestExitCodes
{
    /// <summary>The run ended as asked (duration, count, or Ctrl+C); operation errors are in the summary.</summary>
    public const int Ok = 0;

    /// <summary>Round trips returned different bytes (integrity failures), or an unexpected failure.</summary>
    public const int Failed = 1;

    /// <summary>Bad command line, key file, or sizes that do not fit the channel.</summary>
    public const int BadInput = 2;

    /// <summary>No file at the channel path, or the file is not a Fabric channel this library speaks.</summary>
    public const int NoChannel = 3;

    /// <summary>The channel stopped answering: the queue was removed or closed, or the AC is gone.</summary>
    public const int ChannelLost = 4;
}
