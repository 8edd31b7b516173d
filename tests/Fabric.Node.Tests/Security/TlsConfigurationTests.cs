using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Fabric.Control.Configuration;
using Fabric.Security;
using Xunit;

namespace Fabric.Node.Tests.Security;

/// <summary>
/// How TLS is configured and what an unusable certificate does: a clear message and a non-zero exit, never a stack
/// trace. FabricOptions alone (in-process hosts) stays plaintext; fabric-node's secure default is in SecureByDefaultTests.
/// </summary>
public sealed class TlsConfigurationTests(ClusterCertificates certificates) : IClassFixture<ClusterCertificates>
{
    private const string Password = ClusterCertificates.Password;
    private static readonly string RunsFolder = Path.Combine(Path.GetTempPath(), "fabric-tls-tests", "runs");

    [Fact]
    public void Dev_cert_makes_a_pfx_with_a_random_password_in_a_file_and_says_how_to_use_it()
    {
        var folder = Path.Combine(certificates.Folder, "random-password");
        var (pfx, output) = ClusterCertificates.Make(folder, "fabric", password: null);

        var password = File.ReadAllText(pfx + ".password").Trim();
        var tls = ClusterTls.Load(pfx, password);
        Assert.Equal("CN=fabric, O=Fabric", tls.Certificate.Subject);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Single(tls.TrustedAuthorities);
        Assert.Contains(Path.GetFullPath(pfx), output);
        Assert.Contains("FABRIC_TLS_CERT=", output);
        Assert.Contains("--tls-cert", output);
    }

    [Fact]
    public void Without_a_certificate_remoting_is_plaintext_and_seeds_stay_akka_tcp()
    {
        var config = FabricConfig.Build(new FabricOptions { Port = 0, Database = "/tmp/x/fabric.db", Seeds = ["akka.tcp://fabric@10.0.0.1:4053"] });

        Assert.False(config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        Assert.Equal(["akka.tcp://fabric@10.0.0.1:4053"], config.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void With_a_certificate_remoting_is_TLS_with_mutual_authentication_and_seeds_are_akka_ssl_tcp()
    {
        var options = new FabricOptions
        {
            Port = 0, Database = "/tmp/x/fabric.db", TlsCertificate = certificates.Node, TlsPassword = Password,
            Seeds = ["akka.tcp://fabric@10.0.0.1:4053", "akka.ssl.tcp://fabric@10.0.0.2:4053"],
        };

        var config = FabricConfig.Build(options);

        Assert.True(config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        Assert.True(config.GetBoolean("akka.remote.dot-netty.tcp.ssl.require-mutual-authentication"));
        Assert.False(config.GetBoolean("akka.remote.dot-netty.tcp.ssl.suppress-validation"));
        Assert.Equal(Path.GetFullPath(certificates.Node), config.GetString("akka.remote.dot-netty.tcp.ssl.certificate.path"));
        Assert.Equal(["akka.ssl.tcp://fabric@10.0.0.1:4053", "akka.ssl.tcp://fabric@10.0.0.2:4053"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.True(FabricConfig.Setup(options).Get<Akka.Remote.Transport.DotNetty.DotNettySslSetup>().HasValue, "the node's setup carries the cluster-CA validator");
    }

    [Fact]
    public void The_certificate_and_its_password_come_from_the_environment()
    {
        var env = new Dictionary<string, string> { ["FABRIC_TLS_CERT"] = "/etc/fabric/node.pfx", ["FABRIC_TLS_PASSWORD"] = "s3cret" };

        var options = FabricOptions.FromEnvironment(name => env.GetValueOrDefault(name));

        Assert.Equal("/etc/fabric/node.pfx", options.TlsCertificate);
        Assert.Equal("s3cret", options.TlsPassword);
        Assert.Null(FabricOptions.FromEnvironment(_ => null).TlsCertificate);
    }

    [Fact]
    public void A_missing_certificate_file_is_a_message_that_names_it()
    {
        var missing = Path.Combine(certificates.Folder, "nowhere.pfx");

        var error = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(missing, Password));

        Assert.Equal($"TLS certificate {missing} does not exist; give the cluster's .pfx file (scripts/dev-cert.sh makes one)", error.Message);
        Assert.IsType<FabricConfigurationException>(Assert.ThrowsAny<Exception>(() => FabricConfig.Build(new FabricOptions { TlsCertificate = missing })));
    }

    [Fact]
    public void A_wrong_password_is_a_message_that_says_so()
    {
        var error = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(certificates.Node, "not-the-password"));

        Assert.StartsWith($"TLS certificate {certificates.Node} cannot be opened: the password is wrong (--tls-password / FABRIC_TLS_PASSWORD)", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_pfx_is_a_message_that_says_so()
    {
        var text = Path.Combine(certificates.Folder, "not-a.pfx");
        File.WriteAllText(text, "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n");

        var error = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(text, Password));

        Assert.Contains("is not a PKCS#12 (.pfx) file", error.Message);
    }

    [Fact]
    public void A_pfx_without_the_cluster_CA_is_refused_because_peers_could_not_be_checked()
    {
        var own = ClusterTls.Load(certificates.Node, Password).Certificate;
        var alone = Path.Combine(certificates.Folder, "without-ca.pfx");
        File.WriteAllBytes(alone, own.Export(X509ContentType.Pkcs12, Password));

        var error = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(alone, Password));

        Assert.Contains("holds no CA certificate", error.Message);
    }

    [Fact]
    public async Task Fabric_node_with_a_missing_certificate_or_a_wrong_password_exits_non_zero_with_one_clear_line()
    {
        var missing = Path.Combine(certificates.Folder, "absent.pfx");
        var (code, stdout, stderr) = await Run("fabric-node.dll", [], "--port", "0", "--tls-cert", missing, "--tls-password", Password);
        Assert.True(code == 1, $"exit code {code}\n{stdout}\n{stderr}");
        Assert.Contains($"fabric-node: TLS certificate {missing} does not exist", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);

        (code, stdout, stderr) = await Run("fabric-node.dll", new() { ["FABRIC_TLS_CERT"] = certificates.Node, ["FABRIC_TLS_PASSWORD"] = "wrong" }, "--port", "0");
        Assert.True(code == 1, $"exit code {code}\n{stdout}\n{stderr}");
        Assert.Contains("the password is wrong", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    [Fact]
    public async Task Fabric_vim_with_an_unusable_certificate_exits_2_with_the_reason()
    {
        var (code, _, stderr) = await Run("fabric-vim.dll", [], "device", "list", "--tls-cert", certificates.Node, "--tls-password", "wrong");

        Assert.Equal(2, code);
        Assert.StartsWith($"fabric-vim: TLS certificate {certificates.Node} cannot be opened: the password is wrong", stderr);
    }

    [Fact]
    public async Task Fabric_vim_reaches_a_TLS_fabric_only_with_the_clusters_certificate_and_says_why_it_cannot()
    {
        await using var member = await TlsTestNode.StartUp(certificates.Node, Password);

        var (code, stdout, stderr) = await Run("fabric-vim.dll", new() { ["FABRIC_TLS_CERT"] = certificates.Second, ["FABRIC_TLS_PASSWORD"] = Password },
            "device", "list", "--json", "--contact", member.Contact);
        Assert.True(code == 0, $"with the certificate: exit code {code}\n{stdout}\n{stderr}");
        Assert.StartsWith("[", stdout.Trim());

        (code, _, stderr) = await Run("fabric-vim.dll", [], "device", "list", "--contact", member.Contact, "--timeout", "2", "--insecure");
        Assert.Equal(3, code);
        Assert.Contains("if the fabric speaks TLS (the default), this client needs its data folder (--data) or the cluster's certificate (--tls-cert)", stderr);

        (code, _, stderr) = await Run("fabric-vim.dll", [], "device", "list", "--contact", member.Contact, "--tls-cert", certificates.Stranger, "--tls-password", Password);
        Assert.Equal(3, code);
        Assert.StartsWith($"fabric-vim: the TLS connection to the fabric at {member.Contact} failed, so this client stopped: ", stderr);
        Assert.Contains("certificates of the same cluster CA (--tls-cert)", stderr);
        await member.Log.AwaitLine("due to TLS handshake failure", TimeSpan.FromSeconds(15));
    }

    /// <summary>Runs one of the programs built beside the tests; every run is bounded and the process ended if it overruns.</summary>
    private static async Task<(int Code, string Stdout, string Stderr)> Run(string program, Dictionary<string, string> env, params string[] args)
    {
        var folder = Path.Combine(RunsFolder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "FABRIC_TLS_CERT", "FABRIC_TLS_PASSWORD", "FABRIC_CONTACT", "FABRIC_INSECURE", "FABRIC_DATA" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in env)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

}
