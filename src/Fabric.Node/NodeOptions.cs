using System.CommandLine;
using Fabric.Control.Configuration;

namespace Fabric.Node;

/// <summary>The command-line options of fabric-node, laid over the FABRIC_* environment and the defaults.</summary>
public sealed class NodeOptions
{
    private readonly Option<string?> _roles = new("--roles") { Description = "control and/or compute, comma separated [env FABRIC_ROLES; default control,compute]", Recursive = true };
    private readonly Option<string?> _hostname = new("--hostname") { Description = "address to bind and advertise [env FABRIC_HOSTNAME; default 127.0.0.1]", Recursive = true };
    private readonly Option<int?> _port = new("--port") { Description = "cluster port, 0 for any free one [env FABRIC_PORT; default 4053]", Recursive = true };
    private readonly Option<string?> _seeds = new("--seeds") { Description = "seed nodes akka.tcp://fabric@host:port, comma separated; none: join itself [env FABRIC_SEEDS]", Recursive = true };
    private readonly Option<string?> _nodeName = new("--node-name") { Description = "name of this host for devices and placement [env FABRIC_NODE_NAME; default machine name]", Recursive = true };
    private readonly Option<string?> _store = new("--store") { Description = "sqlite (embedded) or postgres [env FABRIC_STORE; default sqlite]", Recursive = true };
    private readonly Option<string?> _db = new("--db") { Description = "SQLite file, or PostgreSQL connection string [env FABRIC_DB; default ./data/fabric.db]", Recursive = true };
    private readonly Option<int?> _metricsPort = new("--metrics-port") { Description = "serve Prometheus metrics at http://<hostname>:<port>/metrics; 0 serves none [env FABRIC_METRICS_PORT; default 0]", Recursive = true };

    private readonly Option<string?> _tlsCert = new("--tls-cert") { Description = "the cluster's certificate (.pfx with key and CA; scripts/dev-cert.sh makes one): Akka.Remote over TLS, only peers of the same CA accepted; needed beyond 127.0.0.1 [env FABRIC_TLS_CERT; default: this fabric's own CA in <data>/tls]", Recursive = true };
    private readonly Option<string?> _tlsPassword = new("--tls-password") { Description = "password of the --tls-cert file [env FABRIC_TLS_PASSWORD]", Recursive = true };
    private readonly Option<bool> _insecure = new("--insecure") { Description = "plaintext Akka.Remote, no authentication: anyone reaching the port steers the fabric [env FABRIC_INSECURE=1]", Recursive = true };
    private readonly Option<string?> _data = new("--data") { Description = "data folder: its tls/ holds this fabric's own CA and certificates, made on the first start; clients read them there [env FABRIC_DATA; default: the --db file's folder, else ./data]", Recursive = true };

    private readonly Option<string?> _dpdk = new("--dpdk") { Description = "DPDK g-drivers (docs/dpdk.md): off, on (the vdevs of hocon/node.conf), or the software PMDs to start, comma separated, e.g. crypto_aesni_gcm0,compress_isal0 [env FABRIC_DPDK; default: fabric.node.dpdk in hocon/node.conf, off]", Recursive = true };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _roles, _hostname, _port, _seeds, _nodeName, _store, _db, _metricsPort, _tlsCert, _tlsPassword, _insecure, _data, _dpdk })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Defaults, then environment, then command line; a malformed value throws <see cref="FabricConfigurationException"/>.</summary>
    public FabricOptions Bind(ParseResult parse)
    {
        var options = FabricOptions.FromEnvironment();
        if (parse.GetValue(_roles) is { } roles)
        {
            options = options with { Roles = FabricOptions.ParseRoles(roles, "--roles") };
        }

        if (parse.GetValue(_hostname) is { } hostname)
        {
            options = options with { Hostname = hostname };
        }

        if (parse.GetValue(_port) is { } port)
        {
            options = options with { Port = FabricOptions.ParsePort(port.ToString(), "--port") };
        }

        if (parse.GetValue(_seeds) is { } seeds)
        {
            options = options with { Seeds = FabricOptions.ParseSeeds(seeds, "--seeds") };
        }

        if (parse.GetValue(_nodeName) is { } nodeName)
        {
            options = options with { NodeName = nodeName };
        }

        if (parse.GetValue(_store) is { } store)
        {
            options = options with { Store = FabricOptions.ParseStore(store, "--store") };
        }

        if (parse.GetValue(_metricsPort) is { } metricsPort)
        {
            options = options with { MetricsPort = FabricOptions.ParsePort(metricsPort.ToString(), "--metrics-port") };
        }

        if (parse.GetValue(_tlsCert) is { } tlsCert)
        {
            options = options with { TlsCertificate = tlsCert };
        }

        if (parse.GetValue(_tlsPassword) is { } tlsPassword)
        {
            options = options with { TlsPassword = tlsPassword };
        }

        if (parse.GetValue(_db) is { } db)
        {
            options = options with { Database = db };
        }
        else if (options.Store == StoreKind.Postgres && Environment.GetEnvironmentVariable("FABRIC_DB") is null)
        {
            throw new FabricConfigurationException("--store postgres needs a connection string: --db \"Host=...;Database=...;Username=...\" or FABRIC_DB");
        }

        // Secure by default: without a certificate, this fabric's own CA in its data folder (made on the first start).
        var insecure = parse.GetValue(_insecure) || Environment.GetEnvironmentVariable("FABRIC_INSECURE") is "1" or "true";
        var data = parse.GetValue(_data) ?? (Environment.GetEnvironmentVariable("FABRIC_DATA") is { Length: > 0 } d ? d
            : options.Store == StoreKind.Sqlite ? Path.GetDirectoryName(Path.GetFullPath(options.Database))! : Fabric.Security.LocalTls.DefaultDataFolder);
        if (options.Store == StoreKind.Sqlite && !insecure)
        {
            // The store's folder first: one it cannot use is refused with the store's own exit code, not as a TLS problem.
            Fabric.Control.Store.SqliteStoreCheck.PrepareFolder(Path.GetDirectoryName(Path.GetFullPath(options.Database))!);
        }

        options = SecureDefault.Apply(options, insecure, data, line => Console.Error.WriteLine($"fabric-node: {line}"));

        // An unusable certificate (missing, unreadable, wrong password) ends the start here, before anything else runs.
        FabricConfig.Tls(options);
        return options;
    }

    /// <summary>
    /// <c>--dpdk</c> / <c>FABRIC_DPDK</c> as HOCON laid over <c>fabric.node.dpdk</c>: "" when not given. Device names are
    /// EAL vdev names (letters, digits, '_', ',' between them, optional key=value arguments are not taken here).
    /// </summary>
    public string DpdkHocon(ParseResult parse)
    {
        var value = parse.GetValue(_dpdk) ?? Environment.GetEnvironmentVariable("FABRIC_DPDK");
        if (string.IsNullOrWhiteSpace(value))
        {
            return "";
        }

        value = value.Trim();
        if (value is "off" or "0" or "false")
        {
            return "fabric.node.dpdk.enabled = off";
        }

        if (value is "on" or "1" or "true")
        {
            return "fabric.node.dpdk.enabled = on";
        }

        var vdevs = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (vdevs.Length == 0 || vdevs.Any(v => !v.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')))
        {
            throw new FabricConfigurationException(
                $"--dpdk '{value}': give off, on, or EAL vdev names such as crypto_aesni_gcm0,compress_isal0 (lower-case letters, digits and '_', comma separated)");
        }

        return $"fabric.node.dpdk {{ enabled = on, vdevs = [{string.Join(", ", vdevs.Select(v => $"\"{v}\""))}] }}";
    }
}
