using Fabric.Security;

namespace Fabric.Control.Configuration;

/// <summary>
/// fabric-node is secure by default: with no certificate given and no <c>--insecure</c>, it speaks TLS with the
/// certificate of its data folder's own CA (<see cref="LocalTls"/>, made on the first start), so only users who can
/// read that folder can steer it. Plaintext is only ever chosen explicitly.
/// </summary>
public static class SecureDefault
{
    /// <summary>Exit code of a refusal of the data folder's own TLS files (unsafe permissions, unreadable, damaged).</summary>
    public const int LocalTlsRefused = 17;

    /// <summary>
    /// The options with the certificate this node runs with; <paramref name="say"/> gets the one line a person should
    /// see (the CA made, or the warning of plaintext). A node that cannot be made secure is a <see cref="FabricConfigurationException"/>.
    /// </summary>
    public static FabricOptions Apply(FabricOptions options, bool insecure, string dataFolder, Action<string> say)
    {
        // A certificate given wins, as it does for the clients.
        if (options.TlsCertificate is not null)
        {
            return options;
        }

        if (insecure)
        {
            say($"WARNING: --insecure: cluster port {options.Hostname}:{options.Port} is plaintext, without authentication: any user or program that reaches it can steer this fabric");
            return options;
        }

        // A local CA serves one host: nodes of other hosts could not read it, and each making its own would not
        // interoperate. Beyond that, the operator gives every node one CA's certificate (scripts/dev-cert.sh).
        if (!LocalTls.Exists(dataFolder) && !IsOneHost(options))
        {
            throw new FabricConfigurationException(
                $"a fabric of several hosts needs one CA for all of its nodes: make a certificate with scripts/dev-cert.sh and give it to every node and client (--tls-cert / --tls-password), or run plaintext with --insecure (trusted networks only)");
        }

        try
        {
            var tls = LocalTls.EnsureNode(dataFolder, out var created);
            if (created)
            {
                say($"TLS: made this fabric's CA and certificates in {LocalTls.Folder(dataFolder)}; clients of this host find them there (--data)");
            }

            return options with { TlsCertificate = tls.Path, TlsPassword = null };
        }
        catch (LocalTlsException ex)
        {
            throw new FabricConfigurationException(ex.Message, ex, LocalTlsRefused);
        }
    }

    /// <summary>This node is its only seed, or it and every seed are on loopback: the fabric cannot span hosts.</summary>
    private static bool IsOneHost(FabricOptions options)
    {
        var seeds = options.Seeds.Select(s => Uri.TryCreate(s, UriKind.Absolute, out var uri) ? uri : null).ToArray();
        return seeds.All(u => u is not null && u.Host == options.Hostname && u.Port == options.Port)
            || (IsLoopback(options.Hostname) && seeds.All(u => u is not null && IsLoopback(u.Host)));
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
}
