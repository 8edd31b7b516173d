using Fabric.Security;

namespace Fabric.Api.Hosting;

/// <summary>fabric-api's settings, from the <c>Fabric</c> configuration section (command line, <c>Fabric__*</c> environment, appsettings).</summary>
public sealed class ApiOptions
{
    public const string Section = "Fabric";

    /// <summary>Control nodes to connect to: <c>host:port</c> or <c>akka.tcp://fabric@host:port</c>, comma-separated.</summary>
    public string Contacts { get; set; } = "127.0.0.1:4053";

    /// <summary>How long one request to the fabric may take before it is retried (with the same request id).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public int Attempts { get; set; } = 3;

    /// <summary>Nova's <c>os-server-external-events</c> URL: told <c>accelerator-request-bound</c> when a bind ends. None when empty.</summary>
    public string? NovaEventsUrl { get; set; }

    /// <summary>A token sent as <c>X-Auth-Token</c> with the events (Nova's API wants a service token).</summary>
    public string? NovaEventsToken { get; set; }

    /// <summary>The cluster's certificate (.pfx) for a fabric that speaks TLS; also <c>FABRIC_TLS_CERT</c>. None: plaintext.</summary>
    public string? TlsCertificate { get; set; }

    /// <summary>Password of <see cref="TlsCertificate"/>; also <c>FABRIC_TLS_PASSWORD</c>.</summary>
    public string? TlsPassword { get; set; }

    /// <summary>The certificate to connect with, or null for plaintext; an unusable one throws <see cref="ClusterTlsException"/> saying why.</summary>
    public ClusterTls? LoadTls()
    {
        var path = TlsCertificate is { Length: > 0 } given ? given : Environment.GetEnvironmentVariable("FABRIC_TLS_CERT");
        return path is { Length: > 0 } ? ClusterTls.Load(path, TlsPassword ?? Environment.GetEnvironmentVariable("FABRIC_TLS_PASSWORD")) : null;
    }

    /// <summary>The command-line switches and the settings they set.</summary>
    public static IDictionary<string, string> Switches { get; } = new Dictionary<string, string>
    {
        ["--fabric"] = $"{Section}:{nameof(Contacts)}",
        ["--request-timeout"] = $"{Section}:{nameof(RequestTimeout)}",
        ["--nova-events-url"] = $"{Section}:{nameof(NovaEventsUrl)}",
        ["--nova-events-token"] = $"{Section}:{nameof(NovaEventsToken)}",
        ["--tls-cert"] = $"{Section}:{nameof(TlsCertificate)}",
        ["--tls-password"] = $"{Section}:{nameof(TlsPassword)}",
    };

    public const string Usage = """
        fabric-api: the OpenStack Cyborg v2 API (accelerator 2.0-2.3, and 2.4 for hot-add) in front of a Fabric

        usage: fabric-api [--urls http://0.0.0.0:6666] [--fabric host:port[,host:port...]] [options]

          --urls URL[;URL]            where to listen (ASP.NET Core; default http://localhost:5000)
          --fabric CONTACTS           control nodes of the fabric (default 127.0.0.1:4053); env Fabric__Contacts
          --request-timeout T         one request to the fabric, e.g. 00:00:10 (default); retried twice
          --nova-events-url URL       POST accelerator-request-bound events there (Nova's os-server-external-events)
          --nova-events-token TOKEN   sent as X-Auth-Token with the events
          --tls-cert FILE             the cluster's certificate (.pfx) when the fabric speaks TLS; env FABRIC_TLS_CERT
          --tls-password PASSWORD     its password; env FABRIC_TLS_PASSWORD

        routes: GET / and /v2 (versions), /v2/device_profiles, /v2/accelerator_requests, /v2/devices, /v2/deployables;
        Fabric's own under /fabric/v1 (functions, pipelines, dataplane); the OpenAPI document at /openapi/v1.json
        """;
}
