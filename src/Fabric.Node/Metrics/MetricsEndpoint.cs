using System.Net;
using System.Net.Sockets;
using Fabric.Control.Configuration;
using Fabric.Control.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Fabric.Node.Metrics;

/// <summary>
/// The Prometheus scrape endpoint of fabric-node: <c>http://&lt;hostname&gt;:&lt;metrics-port&gt;/metrics</c>, served by
/// the OpenTelemetry SDK's stand-alone HttpListener exporter over Fabric's meters (<see cref="FabricMeters.All"/>).
/// </summary>
public sealed class MetricsEndpoint : IDisposable
{
    private readonly MeterProvider _provider;

    private MetricsEndpoint(MeterProvider provider, string url)
    {
        _provider = provider;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Listens now; a port that cannot be had is a <see cref="FabricConfigurationException"/> that says what to do.</summary>
    public static MetricsEndpoint Start(string hostname, int port, string nodeName)
    {
        var url = $"http://{hostname}:{port}/metrics";
        try
        {
            var provider = Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => r.AddService("fabric-node", serviceInstanceId: nodeName))
                .AddMeter(FabricMeters.All)
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = hostname;
                    o.Port = port;
                    o.ScrapeEndpointPath = "/metrics";
                })
                .Build();
            return new MetricsEndpoint(provider, url);
        }
        catch (Exception ex) when (ex.GetBaseException() is HttpListenerException or SocketException)
        {
            var reason = ex.GetBaseException().Message;
            throw new FabricConfigurationException(
                $"cannot serve metrics at {url}: {reason}. Is another fabric-node or exporter using port {port}? " +
                "Choose another with --metrics-port or FABRIC_METRICS_PORT, or 0 to turn the metrics endpoint off.");
        }
    }

    public void Dispose() => _provider.Dispose();
}
