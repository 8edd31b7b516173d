using System.Text;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using Akka.Persistence.Sql;
using Fabric.Control.Nodes;
using Fabric.Control.Store;
using Fabric.Security;

namespace Fabric.Control.Configuration;

/// <summary>
/// Builds the actor system's configuration: the files of <c>hocon/</c> in order, then the options laid over them.
/// The files are read as one document, so substitutions in them see the options (e.g. the SQLite path).
/// </summary>
public static class FabricConfig
{
    private static readonly string[] BaseFiles = ["fabric.conf", "serialization.conf", "sharding.conf", "sbr.conf", "node.conf"];

    public static string HoconDirectory
    {
        get
        {
            var next = Path.Combine(AppContext.BaseDirectory, "hocon");
            return Directory.Exists(next) ? next : Path.Combine(Directory.GetCurrentDirectory(), "hocon");
        }
    }

    /// <summary>
    /// What an actor system of this node is made from: the configuration and, with a TLS certificate, the validator
    /// that trusts only the cluster's CA. A node speaking TLS must be created from this, not from <see cref="Build"/> alone
    /// (Akka would then validate peers against the operating system's CAs and refuse every cluster certificate).
    /// </summary>
    public static ActorSystemSetup Setup(FabricOptions options, Config? config = null)
    {
        config ??= Build(options);
        return Setups(options, config).Aggregate(ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config)), (all, one) => all.And(one));
    }

    /// <summary>The setups beside the configuration (Akka.Hosting's <c>AddSetup</c> takes them one by one).</summary>
    public static IEnumerable<Setup> Setups(FabricOptions options, Config config)
    {
        if (options.Store == StoreKind.Sqlite)
        {
            // SQLite's commands run on threads of their own, so the journal groups the events that arrive meanwhile.
            yield return SqliteCommandOffload.Setup(config);
        }

        if (Tls(options) is { } tls)
        {
            yield return tls.Setup();
        }
    }

    /// <summary>The cluster certificate of <paramref name="options"/>, or null for plaintext; an unusable one is a <see cref="FabricConfigurationException"/>.</summary>
    public static ClusterTls? Tls(FabricOptions options)
    {
        if (options.TlsCertificate is null)
        {
            return null;
        }

        try
        {
            return ClusterTls.Load(options.TlsCertificate, options.TlsPassword);
        }
        catch (ClusterTlsException ex)
        {
            throw new FabricConfigurationException(ex.Message);
        }
    }

    public static Config Build(FabricOptions options)
    {
        var text = new StringBuilder();
        var persistence = options.Store == StoreKind.Sqlite ? "persistence-sqlite.conf" : "persistence-postgres.conf";
        var tls = Tls(options);
        foreach (var file in BaseFiles.Append(persistence).Concat(tls is null ? [] : ["tls.conf"]))
        {
            var path = Path.Combine(HoconDirectory, file);
            if (!File.Exists(path))
            {
                throw new FabricConfigurationException($"configuration file {path} is missing; the hocon/ folder must sit beside the program");
            }

            text.AppendLine(File.ReadAllText(path));
        }

        text.AppendLine(Overrides(options));
        if (tls is not null)
        {
            text.AppendLine(tls.Hocon());
        }

        text.AppendLine(options.ExtraHocon);
        // The SQL plugin's own defaults (query journal class, table layout) under ours.
        // The cluster-client serializers on every node, receptionist or not: a client that lists a compute-only node
        // as a contact gets no answer there (and moves on), rather than a deserialization error in its log.
        return ConfigurationFactory.ParseString(text.ToString())
            .WithFallback(SqlPersistence.DefaultConfiguration)
            .WithFallback(ClusterClientReceptionist.DefaultConfig());
    }

    private static string Overrides(FabricOptions options)
    {
        // A compute node also carries its node name as a role, so the control plane can tell which devices a
        // member that left had.
        var roles = string.Join(", ", options.Roles
            .Concat(options.HasRole("compute") ? [NodeLossWatcher.NodeRolePrefix + options.NodeName] : [])
            .Select(Quote));
        var seeds = string.Join(", ", options.Seeds.Select(s => Quote(ClusterTls.WithScheme(s, options.TlsCertificate is not null))));
        var store = options.Store == StoreKind.Sqlite
            ? $"fabric.persistence.sqlite-path = {Quote(options.Database)}\nfabric.persistence.sqlite-snapshot-path = {Quote(SqliteStore.SnapshotPath(options.Database))}"
            : $"fabric.persistence.postgres-connection-string = {Quote(options.Database)}";
        return $$"""
            fabric {
              roles = [{{roles}}]
              hostname = {{Quote(options.Hostname)}}
              port = {{options.Port}}
              seed-nodes = [{{seeds}}]
              node-name = {{Quote(options.NodeName)}}
            }
            akka.loglevel = {{options.LogLevel}}
            {{store}}
            """;
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
