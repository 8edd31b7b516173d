using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace Fabric.Security;

/// <summary>
/// The cluster's certificate: what every fabric-node and every client (fabric-vim, fabric-cmd, fabric-api) loads to
/// speak TLS on Akka.Remote. It is a PKCS#12 file holding this process's certificate with its key and the cluster's
/// CA (<c>scripts/dev-cert.sh</c> makes one). Both sides of every connection show their certificate, and a peer is
/// accepted only if its certificate is issued by a CA in this file: nothing is looked up in, or installed into, the
/// machine's trust store, so a certificate from any public CA gets nowhere.
/// </summary>
/// <remarks>
/// Akka.Remote's own validation (HOCON <c>ssl.suppress-validation = off</c>) trusts the operating system's CAs; the
/// validator here replaces it through <see cref="DotNettySslSetup"/>, which is why an actor system that speaks TLS
/// must be created with <see cref="Setup"/>.
/// </remarks>
public sealed class ClusterTls
{
    /// <summary>The address scheme of an actor system speaking TLS (plaintext is <c>akka.tcp</c>).</summary>
    public const string Scheme = "akka.ssl.tcp";

    public const string PlainScheme = "akka.tcp";

    private readonly X509Certificate2Collection _anchors;
    private readonly X509Certificate2Collection _intermediates;
    private readonly string? _password;

    private ClusterTls(string path, string? password, X509Certificate2 certificate, X509Certificate2Collection anchors, X509Certificate2Collection intermediates)
    {
        Path = path;
        _password = password;
        Certificate = certificate;
        _anchors = anchors;
        _intermediates = intermediates;
    }

    /// <summary>The file it was loaded from.</summary>
    public string Path { get; }

    /// <summary>This process's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CAs a peer's certificate must chain to.</summary>
    public IReadOnlyList<X509Certificate2> TrustedAuthorities => _anchors.ToArray();

    /// <summary>
    /// Loads the certificate; a missing or unreadable file, a wrong password, no private key, no CA in the file, or an
    /// expired certificate is a <see cref="ClusterTlsException"/> that says which and what to do.
    /// </summary>
    public static ClusterTls Load(string path, string? password)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ClusterTlsException("the TLS certificate path is empty; give the cluster's .pfx file (scripts/dev-cert.sh makes one)");
        }

        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ClusterTlsException($"TLS certificate {full} does not exist; give the cluster's .pfx file (scripts/dev-cert.sh makes one)");
        }

        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12CollectionFromFile(full, password, X509KeyStorageFlags.DefaultKeySet);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ClusterTlsException($"TLS certificate {full} cannot be read: {ex.Message}");
        }
        catch (CryptographicException ex)
        {
            throw new ClusterTlsException(
                $"TLS certificate {full} cannot be opened: the password is wrong (--tls-password / FABRIC_TLS_PASSWORD) or it is not a PKCS#12 (.pfx) file ({ex.Message.TrimEnd('.')})");
        }

        var own = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new ClusterTlsException($"TLS certificate {full} holds no private key; a node or client needs its certificate with its key in the .pfx");
        var anchors = new X509Certificate2Collection(all.Where(IsSelfSigned).ToArray());
        if (anchors.Count == 0)
        {
            throw new ClusterTlsException(
                $"TLS certificate {full} holds no CA certificate: peers are trusted by the CA in this file; export it with the CA (openssl pkcs12 -export ... -certfile ca.pem)");
        }

        var intermediates = new X509Certificate2Collection(all.Where(c => !IsSelfSigned(c) && !ReferenceEquals(c, own)).ToArray());
        var tls = new ClusterTls(full, password, own, anchors, intermediates);
        if (own.NotAfter < DateTime.Now || own.NotBefore > DateTime.Now)
        {
            throw new ClusterTlsException($"TLS certificate {full} is valid from {own.NotBefore:u} to {own.NotAfter:u}, not now; make a new one");
        }

        if (tls.Check(own) is { } problem)
        {
            throw new ClusterTlsException($"TLS certificate {full}: its own certificate ({own.Subject}) is not issued by the CA in the file: {problem}");
        }

        return tls;
    }

    /// <summary>
    /// The actor system's TLS setup: this certificate, mutual authentication, and the validator that accepts only
    /// certificates of this cluster's CA (and logs why it refuses any other).
    /// </summary>
    public DotNettySslSetup Setup() =>
        new(Certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false, customValidator: Validate);

    /// <summary>The values <c>hocon/tls.conf</c> reads: this certificate's file and password.</summary>
    public string Hocon() => $$"""
        fabric.tls {
          certificate = {{Quote(Path)}}
          password = {{Quote(_password ?? "")}}
        }
        """;

    /// <summary>Rewrites an address to the scheme this process speaks (<c>akka.ssl.tcp</c> with TLS, else <c>akka.tcp</c>).</summary>
    public static string WithScheme(string address, bool tls)
    {
        var scheme = tls ? Scheme : PlainScheme;
        var at = address.IndexOf("://", StringComparison.Ordinal);
        return at < 0 ? $"{scheme}://{address}" : scheme + address[at..];
    }

    private bool Validate(X509Certificate2? certificate, X509Chain? chain, string peer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        if (certificate is null)
        {
            log.Warning("TLS: refused the connection with {0}: it showed no certificate; every member and client of this fabric needs the cluster's certificate (--tls-cert)", peer);
            return false;
        }

        if (Check(certificate, chain) is not { } problem)
        {
            return true;
        }

        log.Warning(
            "TLS: refused the connection with {0}: its certificate [{1}, issued by {2}, thumbprint {3}] is not issued by this fabric's CA [{4}]: {5}",
            peer, certificate.Subject, certificate.Issuer, certificate.Thumbprint, string.Join("; ", _anchors.Select(a => a.Subject)), problem);
        return false;
    }

    /// <summary>Null when <paramref name="certificate"/> chains to one of this file's CAs and is valid now; else what is wrong.</summary>
    private string? Check(X509Certificate2 certificate, X509Chain? sent = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_anchors);
        chain.ChainPolicy.ExtraStore.AddRange(_intermediates);
        // Intermediates the peer sent only help to build the path; trust still has to end at one of our CAs.
        if (sent is not null)
        {
            foreach (var element in sent.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        // A development CA publishes no revocation list; a production CA that does can be checked by the operator's PKI.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate))
        {
            return null;
        }

        var status = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
        return string.Join("; ", status) is { Length: > 0 } text ? text : "the chain could not be built";
    }

    private static bool IsSelfSigned(X509Certificate2 certificate) => certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

/// <summary>The TLS certificate cannot be used; the message says why and what to do.</summary>
public sealed class ClusterTlsException(string message) : Exception(message);
