using Akka.Configuration;
using Fabric.Dataplane.Handoff;
using Fabric.Node.Compute;
using Fabric.Node.Vm;

namespace Fabric.Node.Demo;

/// <summary>
/// The demo node's own folders, once it has stopped: its channel folder (&lt;root&gt;/&lt;node&gt;-&lt;port&gt;) and its
/// vhost-user folder. The node removes the channels and sockets in them as their queues go, but not the folders, so
/// every demo run (each on a fresh port) left one empty folder per run in /dev/shm.
/// </summary>
public static class DemoFolders
{
    /// <summary>Where the node of <paramref name="config"/> named <paramref name="node"/> at <paramref name="port"/> kept its channels and vhost-user sockets.</summary>
    public static IReadOnlyList<string> Of(Config config, string node, int port) =>
    [
        ChannelDirectory.ForNode(ComputeSettings.From(config).ChannelRoot ?? ChannelDirectory.DefaultRoot, node, port),
        ChannelDirectory.ForNode(VmSettings.From(config).VhostDirectory, node, port),
    ];

    /// <summary>Removes those that are empty; a folder with something left in it stays, for someone to look at.</summary>
    public static void RemoveEmpty(IEnumerable<string> folders)
    {
        foreach (var folder in folders)
        {
            try
            {
                if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    Directory.Delete(folder);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Still in use or not ours to remove: left as it is.
            }
        }
    }
}
