using System.Security.Cryptography;
using System.Text;
using Fabric.Dataplane.Native;

namespace Fabric.Dataplane.Handoff;

/// <summary>
/// Where a node puts the sockets (and, in path mode, the files) of its channels:
/// <c>&lt;root&gt;/&lt;node&gt;-&lt;port&gt;/</c>, the root being <c>$XDG_RUNTIME_DIR/fabric</c> or
/// <c>/dev/shm/fabric-&lt;uid&gt;</c>. The node name and cluster port keep two fabrics (or two nodes) on one
/// host apart. Every folder is the node user's own, mode 0700, and checked to be so: a folder another
/// user made (or a symlink planted there) is refused, never used.
/// </summary>
public static class ChannelDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const int StickyBit = 0x200; // S_ISVTX, 01000

    /// <summary>The per-user root: $XDG_RUNTIME_DIR/fabric, else /dev/shm/fabric-&lt;uid&gt;, else &lt;temp&gt;/fabric-&lt;uid&gt;.</summary>
    public static string DefaultRoot
    {
        get
        {
            var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            if (!string.IsNullOrEmpty(runtime) && Path.IsPathRooted(runtime) && Directory.Exists(runtime))
            {
                return Path.Combine(runtime, "fabric");
            }
            var user = Libc.Supported ? Libc.GetEuid().ToString(System.Globalization.CultureInfo.InvariantCulture) : Environment.UserName;
            var shared = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
            return Path.Combine(shared, "fabric-" + user);
        }
    }

    /// <summary>The folder of one node's channels: &lt;root&gt;/&lt;node&gt;-&lt;port&gt;, with unsafe characters replaced.</summary>
    public static string ForNode(string root, string node, int port)
    {
        var name = new StringBuilder(node.Length + 8);
        foreach (var c in node)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }
        name.Append('-').Append(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Path.Combine(root, name.ToString());
    }

    /// <summary>
    /// The socket path of an attachment in <paramref name="folder"/>: &lt;id&gt;.sock, or a digest of the id
    /// when that would not fit a Unix socket address (107 bytes).
    /// </summary>
    public static string SocketPath(string folder, string attachmentId)
    {
        CheckId(attachmentId);
        var path = Path.Combine(folder, attachmentId + ".sock");
        if (Encoding.UTF8.GetByteCount(path) < Libc.SunPathSize)
        {
            return path;
        }
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(attachmentId)))[..24];
        path = Path.Combine(folder, digest + ".sock");
        if (Encoding.UTF8.GetByteCount(path) >= Libc.SunPathSize)
        {
            throw new ArgumentException($"channel folder {folder} is too long for a Unix socket path (at most {Libc.SunPathSize - 1} bytes with the file name): configure a shorter fabric.node.channels.directory", nameof(folder));
        }
        return path;
    }

    /// <summary>The channel file of an attachment in <paramref name="folder"/> (path mode).</summary>
    public static string FilePath(string folder, string attachmentId)
    {
        CheckId(attachmentId);
        return Path.Combine(folder, attachmentId + ".chan");
    }

    public static void CheckId(string attachmentId)
    {
        if (attachmentId.Length == 0)
        {
            throw new ArgumentException("attachment id is empty", nameof(attachmentId));
        }
        foreach (var c in attachmentId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_' || c == '.'))
            {
                throw new ArgumentException($"attachment id '{attachmentId}' may only hold ASCII letters, digits, '-', '_' and '.'", nameof(attachmentId));
            }
        }
        if (attachmentId is "." or "..")
        {
            throw new ArgumentException($"attachment id '{attachmentId}' is not a file name", nameof(attachmentId));
        }
    }

    /// <summary>
    /// Creates <paramref name="folder"/> (and missing parents) mode 0700 and checks it: a real folder (not a
    /// symlink), owned by this process's user, not a shared sticky folder such as /tmp (never re-moded), not open to
    /// group or others (closed again if it is). Throws
    /// <see cref="UnauthorizedAccessException"/> naming the problem and what to do.
    /// </summary>
    public static void Ensure(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }
        Directory.CreateDirectory(folder, OwnerOnly);
        if (!Libc.Supported)
        {
            return;
        }
        if (!Libc.TryStat(folder, out var mode, out var uid, out var errno))
        {
            throw new IOException($"cannot check channel folder {folder}: {Libc.Describe(errno)}");
        }
        if ((mode & Libc.S_IFMT) != Libc.S_IFDIR)
        {
            throw new UnauthorizedAccessException($"channel folder {folder} is not a folder (a symlink or file is in its place): remove it, or configure another fabric.node.channels.directory");
        }
        var me = Libc.GetEuid();
        if (uid != me)
        {
            throw new UnauthorizedAccessException($"channel folder {folder} belongs to user {uid}, not to this node's user {me}: another user may have made it to read the channels; remove it, or configure another fabric.node.channels.directory");
        }
        if ((mode & StickyBit) != 0)
        {
            // A shared scratch folder (/tmp, /dev/shm: sticky, 1777) that this user happens to own, e.g. a node run as
            // root given a channel path straight in /tmp. Closing it to 0700 would lock every other user out of it.
            throw new UnauthorizedAccessException($"channel folder {folder} is a shared folder (sticky bit set): channels go in a folder of their own, e.g. {Path.Combine(folder, "fabric-channels")}; configure another fabric.node.channels.directory");
        }
        if ((mode & 0x3F) != 0)
        {
            // 0x3F = group and other bits (077). Ours, but opened up (an older node, a umask, a hand-made folder): close it again.
            File.SetUnixFileMode(folder, OwnerOnly);
        }
    }
}
