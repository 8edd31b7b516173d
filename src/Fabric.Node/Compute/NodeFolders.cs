using Akka.Configuration;
using Fabric.Dataplane.Handoff;
using Fabric.Node.Vm;

namespace Fabric.Node.Compute;

/// <summary>
/// A compute node's own folders: its channel folder (&lt;root&gt;/&lt;node&gt;-&lt;port&gt;) and its vhost-user folder. The node
/// removes the channels and sockets in them as their queues go, and the folders once its agent has stopped (every
/// node, or demo, started on a fresh port used to leave one empty folder behind in /dev/shm).
/// </summary>
public static class NodeFolders
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
