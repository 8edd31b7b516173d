using System.Text.Json;

namespace Fabric.Testing;

/// <summary>
/// A fabric-node process on 127.0.0.1 at a free port, in a fresh folder of its own (its data, its TLS, the guests'
/// logs), for tests that drive it with the CLIs (fabric-vim, fabric-cmd: run in the same folder, they find its
/// client certificate). Disposing stops it by pid, with the guests it started, and deletes the folder.
/// </summary>
internal sealed class FabricNodeProcess(string folder, int port, RunningProcess node) : IAsyncDisposable
{
    public string Folder { get; } = folder;

    public int Port { get; } = port;

    public string Contact => $"127.0.0.1:{Port}";

    public RunningProcess Node { get; } = node;

    /// <summary>Starts <c>fabric-node --port P --node-name <paramref name="nodeName"/></c> and <paramref name="args"/> in a new folder under the temp folder's <paramref name="area"/>.</summary>
    public static FabricNodeProcess Start(string area, string nodeName, params string[] args)
    {
        var folder = Path.Combine(Path.GetTempPath(), area, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var port = ProcessRunner.FreePort();
        var node = RunningProcess.Dotnet("fabric-node", folder, ["--port", port.ToString(), "--node-name", nodeName, .. args]);
        return new FabricNodeProcess(folder, port, node);
    }

    /// <summary>Runs a CLI (<c>fabric-vim</c>, <c>fabric-cmd</c>) in the node's folder against its contact point.</summary>
    public Task<ProcessRunner.Result> Cli(string program, params string[] args) => ProcessRunner.Run(program, Folder, ["--contact", Contact, .. args]);

    public Task<ProcessRunner.Result> Vim(params string[] args) => Cli("fabric-vim", args);

    /// <summary>Up when the gateway answers and the node agent registered at least <paramref name="count"/> devices; their list as fabric-vim prints it.</summary>
    public async Task<JsonElement> Devices(int count, TimeSpan within)
    {
        var devices = await Eventually.For(() => Vim("device", "list", "--json", "--timeout", "2"),
            list => Node.HasExited
                ? throw new InvalidOperationException($"fabric-node exited: {list.Stderr}\n{Node.Output}")
                : list.ExitCode == 0 && JsonDocument.Parse(list.Stdout).RootElement.GetArrayLength() >= count,
            $"fabric-node did not come up with {count} devices", within, TimeSpan.FromMilliseconds(200), list => $"{list}\nfabric-node output:\n{Node.Output}");
        return JsonDocument.Parse(devices.Stdout).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A guest's file still open while it goes: the temp folder is cleaned another time.
        }
    }
}
