using System.Net;
using System.Net.Sockets;

namespace Fabric.Bench.Chaos;

/// <summary>Drills run on 127.0.0.1 only.</summary>
public static class Loopback
{
    /// <summary>A port free on 127.0.0.1 right now (taken and let go).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
