using System.CommandLine;
using Fabric.Security;

namespace Fabric.Vim.Cli;

/// <summary>
/// How the clients (fabric-vim, fabric-cmd) secure their connection: --tls-cert (FABRIC_TLS_CERT) if given, else the
/// client certificate in the fabric's data folder (--data / FABRIC_DATA, as fabric-node makes it); plaintext only with
/// --insecure (FABRIC_INSECURE=1).
/// </summary>
public sealed class TlsOptions
{
    public Option<string?> Certificate { get; } = new("--tls-cert")
    {
        Description = "the cluster's certificate (.pfx with key and CA) [env FABRIC_TLS_CERT; default: the client certificate in --data]",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FABRIC_TLS_CERT") is { Length: > 0 } c ? c : null,
    };

    public Option<string?> Password { get; } = new("--tls-password")
    {
        Description = "password of the --tls-cert file [env FABRIC_TLS_PASSWORD]",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FABRIC_TLS_PASSWORD"),
    };

    public Option<string> Data { get; } = new("--data")
    {
        Description = $"the fabric's data folder: its tls/{LocalTls.ClientFile} is this client's certificate [env FABRIC_DATA; default {LocalTls.DefaultDataFolder}]",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FABRIC_DATA") is { Length: > 0 } d ? d : LocalTls.DefaultDataFolder,
    };

    public Option<bool> Insecure { get; } = new("--insecure")
    {
        Description = "plaintext, for a fabric-node started with --insecure [env FABRIC_INSECURE=1]",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FABRIC_INSECURE") is "1" or "true",
    };

    public void AddTo(Command root)
    {
        root.Options.Add(Certificate);
        root.Options.Add(Password);
        root.Options.Add(Data);
        root.Options.Add(Insecure);
    }

    /// <summary>
    /// The certificate to connect with, or null for plaintext (--insecure). An unusable --tls-cert throws
    /// <see cref="ClusterTlsException"/>; a client certificate of the data folder this user cannot read,
    /// <see cref="LocalTlsException"/>.
    /// </summary>
    public ClusterTls? Load(ParseResult parse) => Resolve(parse.GetValue(Certificate), parse.GetValue(Password), parse.GetValue(Data), parse.GetValue(Insecure));

    /// <summary>The same choice for any client (fabric-api too): an explicit certificate wins, then --insecure, then the data folder's.</summary>
    public static ClusterTls? Resolve(string? certificate, string? password, string? data, bool insecure)
    {
        if (certificate is { Length: > 0 })
        {
            return ClusterTls.Load(certificate, password);
        }

        return insecure ? null : LocalTls.LoadClient(data is { Length: > 0 } ? data : LocalTls.DefaultDataFolder);
    }
}
