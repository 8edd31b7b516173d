using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fabric.Security;

/// <summary>
/// A one-host fabric's own TLS, kept in its data folder (<c>&lt;data&gt;/tls</c>): a private CA made on the first start,
/// a node certificate and a client certificate issued by it. Whoever can read the folder can steer the fabric, so the
/// folder is 0700 and the keys 0600, and a looser folder or key is refused rather than used.
/// </summary>
/// <remarks>
/// The CA's key is thrown away once both certificates are issued: nobody, not even this fabric's user, can mint a
/// further certificate of it. To renew (or after a leak), delete the folder: the next start makes a new CA, and the
/// clients, which read the folder each time, follow.
/// </remarks>
public static class LocalTls
{
    public const string FolderName = "tls";
    public const string NodeFile = "node.pfx";
    public const string ClientFile = "client.pfx";
    public const string CaFile = "local-ca.pem";

    /// <summary>The data folder of node and clients when none is given (<c>--data</c> / <c>FABRIC_DATA</c>).</summary>
    public static readonly string DefaultDataFolder = Path.Combine(".", "data");

    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    // Ten years: the certificates never leave the host, and the CA's key is gone, so they cannot be renewed one by one.
    private static readonly TimeSpan Validity = TimeSpan.FromDays(3650);

    public static string Folder(string dataFolder) => Path.GetFullPath(Path.Combine(dataFolder, FolderName));

    public static string NodeCertificate(string dataFolder) => Path.Combine(Folder(dataFolder), NodeFile);

    public static string ClientCertificate(string dataFolder) => Path.Combine(Folder(dataFolder), ClientFile);

    /// <summary>True when the data folder already holds a local CA's node certificate.</summary>
    public static bool Exists(string dataFolder) => File.Exists(NodeCertificate(dataFolder));

    /// <summary>
    /// The node's certificate: made (with the CA and the client certificate) when the folder holds none, else the one
    /// there, checked. Unsafe permissions, a half-made folder or a damaged file throw <see cref="LocalTlsException"/>.
    /// </summary>
    public static ClusterTls EnsureNode(string dataFolder, out bool created)
    {
        var folder = Folder(dataFolder);
        created = false;
        if (!Directory.Exists(folder))
        {
            created = Create(dataFolder);
        }
        else if (!File.Exists(Path.Combine(folder, NodeFile)) && !File.Exists(Path.Combine(folder, ClientFile)))
        {
            // A folder made by hand or by scripts/dev-cert.sh (its files have other names): ours go beside them.
            CheckFolder(folder);
            try
            {
                created = Issue(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new LocalTlsException($"cannot make the fabric's certificates in {folder} ({ex.Message.TrimEnd('.')}); give this user a writable data folder (--data / FABRIC_DATA) or a certificate (--tls-cert)");
            }
        }

        CheckFolder(folder);
        foreach (var file in new[] { NodeFile, ClientFile })
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                throw new LocalTlsException(
                    $"{folder} holds no {file} (half made, or a file was removed); delete the folder to make a new CA and certificates (clients follow)");
            }

            CheckFile(path);
        }

        return Load(Path.Combine(folder, NodeFile));
    }

    /// <summary>
    /// The client certificate of the fabric whose data folder this is; a missing or unreadable one throws
    /// <see cref="LocalTlsException"/> that says how else to connect.
    /// </summary>
    public static ClusterTls LoadClient(string dataFolder)
    {
        var path = ClientCertificate(dataFolder);
        const string Hint = "run as the fabric's user, give its data folder (--data / FABRIC_DATA), the cluster's certificate (--tls-cert), or --insecure for a plaintext fabric";
        if (!File.Exists(path))
        {
            throw new LocalTlsException($"cannot read the fabric's client certificate {path}: it does not exist, or this user may not read its folder; {Hint}");
        }

        try
        {
            using (File.OpenRead(path))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LocalTlsException($"cannot read the fabric's client certificate {path} ({ex.Message.TrimEnd('.')}); {Hint}");
        }

        return Load(path);
    }

    private static ClusterTls Load(string path)
    {
        try
        {
            return ClusterTls.Load(path, null);
        }
        catch (ClusterTlsException ex)
        {
            throw new LocalTlsException(
                $"{ex.Message}; this is the fabric's own certificate: delete {Path.GetDirectoryName(path)} to make a new CA and certificates (clients follow)");
        }
    }

    private static void CheckFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(folder);
        if ((mode & GroupOrOther) != 0)
        {
            throw new LocalTlsException(
                $"{folder} is open to other users (mode {Octal(mode)}): its keys let anyone who reads them steer the fabric; chmod 700 {folder}, and make new certificates (delete the folder) if others may have read them");
        }
    }

    private static void CheckFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) != 0)
        {
            throw new LocalTlsException(
                $"{path} is open to other users (mode {Octal(mode)}): its key lets anyone who reads it steer the fabric; chmod 600 {path}, and make new certificates (delete {Path.GetDirectoryName(path)}) if others may have read it");
        }
    }

    /// <summary>Makes the folder with everything in it under another name, then renames it: a start never sees half of it.</summary>
    private static bool Create(string dataFolder)
    {
        var data = Path.GetFullPath(dataFolder);
        try
        {
            var staging = Path.Combine(data, $".{FolderName}-{Environment.ProcessId}-{Guid.NewGuid():N}");
            foreach (var folder in new[] { data, staging })
            {
                _ = OperatingSystem.IsWindows() ? Directory.CreateDirectory(folder) : Directory.CreateDirectory(folder, OwnerOnlyFolder);
            }

            try
            {
                Issue(staging);
                Directory.Move(staging, Folder(dataFolder));
                return true;
            }
            catch (IOException) when (Directory.Exists(Folder(dataFolder)))
            {
                // Another node of this data folder made it first: use theirs.
                return false;
            }
            finally
            {
                if (Directory.Exists(staging))
                {
                    Directory.Delete(staging, recursive: true);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LocalTlsException($"cannot make the fabric's TLS folder in {data} ({ex.Message.TrimEnd('.')}); give this user a writable data folder (--data / FABRIC_DATA) or a certificate (--tls-cert)");
        }
    }

    /// <summary>A new CA, and the node and client certificates of it, written to <paramref name="folder"/> (client first: the node's marks it complete).</summary>
    private static bool Issue(string folder)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest(
            $"CN=Fabric local CA {Environment.MachineName} {now:yyyyMMddTHHmmssZ} {Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}, O=Fabric",
            caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now + Validity);
        using var caPublic = X509CertificateLoader.LoadCertificate(ca.RawData);

        WriteNew(Path.Combine(folder, CaFile), System.Text.Encoding.ASCII.GetBytes(caPublic.ExportCertificatePem() + "\n"));
        WriteNew(Path.Combine(folder, ClientFile), Leaf("fabric-client", ca, caPublic, now));
        WriteNew(Path.Combine(folder, NodeFile), Leaf("fabric-node", ca, caPublic, now));
        return true;
    }

    private static byte[] Leaf(string name, X509Certificate2 ca, X509Certificate2 caPublic, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=Fabric", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        // Both: a node accepts connections and opens them, and so does a client's actor system.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var issued = request.Create(ca, now.AddMinutes(-5), now + Validity, RandomNumberGenerator.GetBytes(16));
        using var withKey = issued.CopyWithPrivateKey(key);
        return new X509Certificate2Collection { withKey, caPublic }.Export(X509ContentType.Pkcs12)!;
    }

    /// <summary>Created 0600 and only if absent (O_EXCL): never through a file or link someone else put there.</summary>
    private static void WriteNew(string path, byte[] content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        using var file = new FileStream(path, options);
        file.Write(content);
        file.Flush(flushToDisk: true);
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}

/// <summary>The fabric's own TLS files cannot be used (unsafe permissions, missing, unreadable, damaged); the message says what to do.</summary>
public sealed class LocalTlsException(string message) : Exception(message);
