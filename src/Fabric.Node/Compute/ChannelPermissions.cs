namespace Fabric.Node.Compute;

/// <summary>Channel files are the VM's private memory: owner-only file in an owner-only folder.</summary>
public static class ChannelPermissions
{
    public static void RestrictToOwner(string channelPath)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var folder = Path.GetDirectoryName(channelPath)!;
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(channelPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
