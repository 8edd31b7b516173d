using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Fabric.Node.Vm;

/// <summary>
/// One QMP command over QEMU's monitor socket: read the greeting, leave capabilities negotiation, run the command,
/// read its answer (events in between are skipped). Answers true when QEMU returned, false on an error or silence.
/// </summary>
public static class Qmp
{
    public static async Task<bool> ExecuteAsync(string socketPath, string command, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cts.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            if (!await Answered(reader, "QMP", cts.Token))
            {
                return false;
            }

            await writer.WriteLineAsync("{\"execute\":\"qmp_capabilities\"}".AsMemory(), cts.Token);
            if (!await Answered(reader, "return", cts.Token))
            {
                return false;
            }

            await writer.WriteLineAsync(JsonSerializer.Serialize(new { execute = command }).AsMemory(), cts.Token);
            return await Answered(reader, "return", cts.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException or JsonException)
        {
            // QEMU gone, socket not there yet or already closed: the caller falls back to the next step.
            return false;
        }
    }

    /// <summary>Reads lines until one has <paramref name="key"/> (true) or "error" (false); "event" lines are skipped.</summary>
    private static async Task<bool> Answered(StreamReader reader, string key, CancellationToken cancellation)
    {
        while (await reader.ReadLineAsync(cancellation) is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty(key, out _))
            {
                return true;
            }

            if (doc.RootElement.TryGetProperty("error", out _))
            {
                return false;
            }
        }

        return false;
    }
}
