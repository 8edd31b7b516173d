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

    /// <summary>
    /// How often this fabric-api looks for binds that no fabric-api is seen driving (one unchanged over two looks): it
    /// realizes them again or reports them to Nova (<see cref="Requests.Binder.Sweep"/>). Zero: never.
    /// </summary>
    public TimeSpan BindSweepInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Where clients reach this API (e.g. <c>https://cyborg.example:6666</c>, with a path base if a proxy adds one): the
    /// <c>links</c> of answers are built from it. None: from the request's scheme and Host header, which clients choose.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>The public URL without a trailing slash, or null; one that is not an absolute http(s) URL throws <see cref="FormatException"/>.</summary>
    public string? PublicBase()
    {
        if (string.IsNullOrWhiteSpace(PublicUrl))
        {
            return null;
        }

        if (!Uri.TryCreate(PublicUrl.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new FormatException($"--public-url '{PublicUrl}' is not an absolute http(s) URL without query, e.g. https://cyborg.example:6666");
        }

        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    /// <summary>The cluster's certificate (.pfx) for a fabric that speaks TLS; also <c>FABRIC_TLS_CERT</c>. None: plaintext.</summary>
    public string? TlsCertificate { get; set; }

    /// <summary>Password of <see cref="TlsCertificate"/>; also <c>FABRIC_TLS_PASSWORD</c>.</summary>
    public string? TlsPassword { get; set; }

    /// <summary>The fabric's data folder, whose <c>tls/client.pfx</c> is used when no certificate is given; also <c>FABRIC_DATA</c>, default <c>./data</c>.</summary>
    public string? Data { get; set; }

    /// <summary>Plaintext, for a fabric-node started with <c>--insecure</c>; also <c>FABRIC_INSECURE=1</c>.</summary>
    public bool Insecure { get; set; }

    /// <summary>
    /// The certificate to connect with: the one given, else (unless <see cref="Insecure"/>, then null: plaintext) the
    /// client certificate of the data folder. An unusable one throws <see cref="ClusterTlsException"/>, an unreadable
    /// data folder <see cref="LocalTlsException"/>, saying why.
    /// </summary>
    public ClusterTls? LoadTls()
    {
        var path = TlsCertificate is { Length: > 0 } given ? given : Environment.GetEnvironmentVariable("FABRIC_TLS_CERT");
        return Fabric.Vim.Cli.TlsOptions.Resolve(
            path,
            TlsPassword ?? Environment.GetEnvironmentVariable("FABRIC_TLS_PASSWORD"),
            Data is { Length: > 0 } ? Data : Environment.GetEnvironmentVariable("FABRIC_DATA"),
            Insecure || Environment.GetEnvironmentVariable("FABRIC_INSECURE") is "1" or "true");
    }

    /// <summary>The command-line switches and the settings they set.</summary>
    public static IDictionary<string, string> Switches { get; } = new Dictionary<string, string>
    {
        ["--fabric"] = $"{Section}:{nameof(Contacts)}",
        ["--request-timeout"] = $"{Section}:{nameof(RequestTimeout)}",
        ["--nova-events-url"] = $"{Section}:{nameof(NovaEventsUrl)}",
        ["--nova-events-token"] = $"{Section}:{nameof(NovaEventsToken)}",
        ["--public-url"] = $"{Section}:{nameof(PublicUrl)}",
        ["--bind-sweep-interval"] = $"{Section}:{nameof(BindSweepInterval)}",
        ["--tls-cert"] = $"{Section}:{nameof(TlsCertificate)}",
        ["--tls-password"] = $"{Section}:{nameof(TlsPassword)}",
        ["--data"] = $"{Section}:{nameof(Data)}",
        ["--insecure"] = $"{Section}:{nameof(Insecure)}",
    };

    public const string Usage = """
        fabric-api: the OpenStack Cyborg v2 API (accelerator 2.0-2.3, and 2.4 for hot-add) in front of a Fabric

        usage: fabric-api [--urls http://0.0.0.0:6666] [--fabric host:port[,host:port...]] [options]

          --urls URL[;URL]            where to listen (ASP.NET Core; default http://localhost:5000)
          --fabric CONTACTS           control nodes of the fabric (default 127.0.0.1:4053); env Fabric__Contacts
          --request-timeout T         one request to the fabric, e.g. 00:00:10 (default); retried twice
          --nova-events-url URL       POST accelerator-request-bound events there (Nova's os-server-external-events)
          --nova-events-token TOKEN   sent as X-Auth-Token with the events
          --bind-sweep-interval T     look for binds a stopped fabric-api left, e.g. 00:00:10 (default); 0: never
          --public-url URL            where clients reach the API (e.g. https://cyborg.example:6666): links are built from it,
                                      not from the request's Host header; env Fabric__PublicUrl
          --tls-cert FILE             the cluster's certificate (.pfx); env FABRIC_TLS_CERT; default: the fabric's own
                                      client certificate, DATA/tls/client.pfx
          --tls-password PASSWORD     its password; env FABRIC_TLS_PASSWORD
          --data DATA                 the fabric's data folder (default ./data); env FABRIC_DATA
          --insecure                  plaintext, for a fabric-node started with --insecure; env FABRIC_INSECURE=1

        exit codes: 0 stopped, 2 bad option (--fabric, --public-url, TLS: a certificate unusable, or none readable in
        the data folder), 3 cannot listen (--urls malformed, port taken)

        routes: GET / and /v2 (versions), /v2/device_profiles, /v2/accelerator_requests, /v2/devices, /v2/deployables;
        Fabric's own under /fabric/v1 (functions, pipelines, dataplane); the OpenAPI document at /openapi/v1.json
        """;
}
