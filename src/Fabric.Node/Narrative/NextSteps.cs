namespace Fabric.Node.Narrative;

/// <summary>
/// What to do with a node that just came up, the way database servers end their start-up: where the fabric is and
/// the commands that use it, written as this machine can run them (a tool on the PATH, else from the source tree).
/// </summary>
public static class NextSteps
{
    /// <summary>Cyborg's own port: where the README runs fabric-api.</summary>
    public const int ApiPort = 6666;

    /// <param name="contact">host:port of a control node (this one, or a seed for a compute-only node); null when none is known.</param>
    /// <param name="command">how to run a tool: its name and project, e.g. ("fabric-vim", "Fabric.Vim").</param>
    /// <param name="security">what the clients add to reach this fabric: "--insecure", "--data FOLDER" (its own CA's
    /// client certificate, when the folder is not the clients' default ./data), or "".</param>
    public static IReadOnlyList<string> Lines(string? contact, string apiHost, Func<string, string, string> command, string security = "")
    {
        var with = security.Length > 0 ? " " + security : "";
        if (contact is null)
        {
            return ["This compute node has no gateway: fabric-vim, fabric-cmd and fabric-api talk to the control nodes (--contact host:port)."];
        }

        var api = $"http://{apiHost}:{ApiPort}";
        return
        [
            $"Use the fabric at {contact}:",
            $"  {command("fabric-vim", "Fabric.Vim")} --contact {contact}{with} device list",
            $"  {command("fabric-cmd", "Fabric.Cmd")} --contact {contact}{with} cluster show",
            $"  {command("fabric-api", "Fabric.Api")} --fabric {contact}{with} --urls {api}   # then the Cyborg REST API is at {api}/v2",
        ];
    }

    /// <summary>The tool by name when it is on the PATH; else <c>dotnet run --project src/X --</c> when run from a clone; else its name.</summary>
    public static string Command(string tool, string project)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        if (path.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(System.IO.Path.Combine(dir, tool))))
        {
            return tool;
        }

        return Directory.Exists(System.IO.Path.Combine("src", project)) ? $"dotnet run --project src/{project} --" : tool;
    }

    /// <summary>host:port of a control node to give clients: this node if it is one, else its first seed.</summary>
    public static string? Contact(bool control, string host, int port, IReadOnlyList<string> seeds)
    {
        if (control)
        {
            return $"{host}:{port}";
        }

        return seeds.Count > 0 && Uri.TryCreate(seeds[0], UriKind.Absolute, out var seed) ? $"{seed.Host}:{seed.Port}" : null;
    }

    /// <summary>What a client adds to reach a node that runs with <paramref name="certificate"/> (null: plaintext).</summary>
    public static string Security(string? certificate)
    {
        if (certificate is null)
        {
            return "--insecure";
        }

        // The node's own CA: <data>/tls/node.pfx; the clients find it in ./data unless told where.
        var tls = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(certificate));
        if (System.IO.Path.GetFileName(certificate) != Fabric.Security.LocalTls.NodeFile || System.IO.Path.GetFileName(tls) != "tls")
        {
            return "--tls-cert FILE --tls-password PW";
        }

        var data = System.IO.Path.GetDirectoryName(tls)!;
        return data == System.IO.Path.GetFullPath("data") ? "" : $"--data {data}";
    }
}
