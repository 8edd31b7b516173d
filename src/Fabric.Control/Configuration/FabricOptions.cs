namespace Fabric.Control.Configuration;

public enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// How one fabric-node runs: its roles, address, seeds and store. Laid over the HOCON files in <c>hocon/</c>.
/// </summary>
public sealed record FabricOptions
{
    public const string SystemName = "fabric";

    public IReadOnlyList<string> Roles { get; init; } = ["control", "compute"];

    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests, benchmarks).</summary>
    public int Port { get; init; } = 4053;

    /// <summary>Seed node addresses (<c>akka.tcp://fabric@host:port</c>); empty joins itself.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>Name of this host for devices and placement.</summary>
    public string NodeName { get; init; } = Environment.MachineName.ToLowerInvariant();

    public StoreKind Store { get; init; } = StoreKind.Sqlite;

    /// <summary>SQLite: a file path. PostgreSQL: an Npgsql connection string.</summary>
    public string Database { get; init; } = Path.Combine(".", "data", "fabric.db");

    public string LogLevel { get; init; } = "INFO";

    /// <summary>Port of the Prometheus scrape endpoint (<c>http://hostname:port/metrics</c>); 0, the default, serves none.</summary>
    public int MetricsPort { get; init; }

    /// <summary>
    /// The cluster's certificate (PKCS#12 with key and CA, see <c>scripts/dev-cert.sh</c>): Akka.Remote speaks TLS and
    /// accepts only peers with a certificate of the same CA. Null, the default here, is plaintext (in-process hosts, tests);
    /// fabric-node fills it with its data folder's own unless --insecure (<see cref="SecureDefault"/>).
    /// </summary>
    public string? TlsCertificate { get; init; }

    /// <summary>Password of <see cref="TlsCertificate"/>.</summary>
    public string? TlsPassword { get; init; }

    /// <summary>Extra HOCON laid over everything else (tests, one-off tuning).</summary>
    public string ExtraHocon { get; init; } = "";

    public bool HasRole(string role) => Roles.Contains(role, StringComparer.Ordinal);

    /// <summary>Options from <c>FABRIC_*</c> environment variables over the defaults; a malformed value is an error that names it.</summary>
    public static FabricOptions FromEnvironment(Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        var options = new FabricOptions();
        if (getenv("FABRIC_ROLES") is { Length: > 0 } roles)
        {
            options = options with { Roles = ParseRoles(roles, "FABRIC_ROLES") };
        }

        if (getenv("FABRIC_HOSTNAME") is { Length: > 0 } host)
        {
            options = options with { Hostname = host };
        }

        if (getenv("FABRIC_PORT") is { Length: > 0 } port)
        {
            options = options with { Port = ParsePort(port, "FABRIC_PORT") };
        }

        if (getenv("FABRIC_SEEDS") is { Length: > 0 } seeds)
        {
            options = options with { Seeds = ParseSeeds(seeds, "FABRIC_SEEDS") };
        }

        if (getenv("FABRIC_NODE_NAME") is { Length: > 0 } name)
        {
            options = options with { NodeName = name };
        }

        if (getenv("FABRIC_STORE") is { Length: > 0 } store)
        {
            options = options with { Store = ParseStore(store, "FABRIC_STORE") };
        }

        if (getenv("FABRIC_DB") is { Length: > 0 } db)
        {
            options = options with { Database = db };
        }

        if (getenv("FABRIC_METRICS_PORT") is { Length: > 0 } metricsPort)
        {
            options = options with { MetricsPort = ParsePort(metricsPort, "FABRIC_METRICS_PORT") };
        }

        if (getenv("FABRIC_TLS_CERT") is { Length: > 0 } certificate)
        {
            options = options with { TlsCertificate = certificate };
        }

        if (getenv("FABRIC_TLS_PASSWORD") is { } tlsPassword)
        {
            options = options with { TlsPassword = tlsPassword };
        }

        if (getenv("FABRIC_LOGLEVEL") is { Length: > 0 } level)
        {
            options = options with { LogLevel = level.ToUpperInvariant() };
        }

        return options;
    }

    public static IReadOnlyList<string> ParseRoles(string value, string source)
    {
        var roles = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = roles.Where(r => r is not ("control" or "compute")).ToArray();
        if (roles.Length == 0 || unknown.Length > 0)
        {
            throw new FabricConfigurationException($"{source}: roles are 'control' and/or 'compute', comma separated; got '{value}'");
        }

        return roles.Distinct().ToArray();
    }

    public static int ParsePort(string value, string source) =>
        int.TryParse(value, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new FabricConfigurationException($"{source}: a port is 0..65535; got '{value}'");

    public static IReadOnlyList<string> ParseSeeds(string value, string source)
    {
        var seeds = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var seed in seeds)
        {
            // akka.ssl.tcp is what a TLS member calls itself; either scheme is rewritten to the one this node speaks.
            if (!Uri.TryCreate(seed, UriKind.Absolute, out var uri) || uri.Scheme is not ("akka.tcp" or "akka.ssl.tcp") || uri.UserInfo != SystemName || uri.Port <= 0)
            {
                throw new FabricConfigurationException(
                    $"{source}: '{seed}' is not a seed address; expected akka.tcp://{SystemName}@<host>:<port> (or akka.ssl.tcp:// with TLS)");
            }
        }

        return seeds;
    }

    public static StoreKind ParseStore(string value, string source) => value.ToLowerInvariant() switch
    {
        "sqlite" => StoreKind.Sqlite,
        "postgres" or "postgresql" => StoreKind.Postgres,
        _ => throw new FabricConfigurationException($"{source}: the store is 'sqlite' or 'postgres'; got '{value}'"),
    };
}
