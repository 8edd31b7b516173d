using System.CommandLine;
using Fabric.Security;

namespace Fabric.Vim.Cli;

/// <summary>--tls-cert and --tls-password of the clients (fabric-vim, fabric-cmd), over FABRIC_TLS_CERT / FABRIC_TLS_PASSWORD.</summary>
public sealed class TlsOptions
{
    public Option<string?> Certificate { get; } = new("--tls-cert")
    {
        Description = "the cluster's certificate (.pfx with key and CA) for a fabric that speaks TLS [env FABRIC_TLS_CERT; default none: plaintext]",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FABRIC_TLS_CERT") is { Length: > 0 } c ? c : null,
    };

    public Option<string?> Password { get; } = new("--tls-password")
    {
        Description = "password of the --tls-cert file [env FABRIC_TLS_PASSWORD]",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FABRIC_TLS_PASSWORD"),
    };

    public void AddTo(Command root)
    {
        root.Options.Add(Certificate);
        root.Options.Add(Password);
    }

    /// <summary>The certificate given, or null for plaintext; an unusable one throws <see cref="ClusterTlsException"/> saying why.</summary>
    public ClusterTls? Load(ParseResult parse) =>
        parse.GetValue(Certificate) is { Length: > 0 } path ? ClusterTls.Load(path, parse.GetValue(Password)) : null;
}
