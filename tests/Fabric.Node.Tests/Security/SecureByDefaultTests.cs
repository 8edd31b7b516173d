using System.Diagnostics;
using System.Text.RegularExpressions;
using Fabric.Control.Configuration;
using Fabric.Security;
using Xunit;

namespace Fabric.Node.Tests.Security;

/// <summary>
/// A fabric-node started with no TLS option runs TLS with its own CA in its data folder; clients of the same host
/// connect with the client certificate there, and nobody else does; plaintext is only ever explicit (--insecure).
/// </summary>
public sealed partial class SecureByDefaultTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fabric-secure-default", Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_fresh_data_folder_gets_a_CA_and_certificates_for_the_owner_only_and_a_later_start_reuses_them()
    {
        var data = Path.Combine(_folder, "data");
        var lines = new List<string>();

        var options = SecureDefault.Apply(new FabricOptions { Port = 0, Database = Path.Combine(data, "fabric.db") }, insecure: false, data, lines.Add);

        var tls = Path.Combine(data, "tls");
        Assert.Equal(Path.Combine(tls, "node.pfx"), options.TlsCertificate);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(tls));
        foreach (var file in new[] { "node.pfx", "client.pfx", "local-ca.pem" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(tls, file)));
        }

        Assert.Equal(3, Directory.GetFiles(tls).Length);
        Assert.Contains(lines, l => l.StartsWith($"TLS: made this fabric's CA and certificates in {tls}", StringComparison.Ordinal));
        var node = ClusterTls.Load(options.TlsCertificate!, null);
        var client = LocalTls.LoadClient(data);
        Assert.Equal("CN=fabric-node, O=Fabric", node.Certificate.Subject);
        Assert.Equal("CN=fabric-client, O=Fabric", client.Certificate.Subject);
        Assert.Equal(node.TrustedAuthorities.Single().Thumbprint, client.TrustedAuthorities.Single().Thumbprint);
        Assert.Equal(node.Certificate.Issuer, client.Certificate.Issuer);
        Assert.True(FabricConfig.Build(options).GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));

        // A later start: the same certificates, nothing made, nothing said.
        lines.Clear();
        var again = SecureDefault.Apply(new FabricOptions { Port = 0 }, insecure: false, data, lines.Add);
        Assert.Equal(node.Certificate.Thumbprint, ClusterTls.Load(again.TlsCertificate!, null).Certificate.Thumbprint);
        Assert.Empty(lines);
    }

    [Fact]
    public void Loose_permissions_unreadable_or_damaged_files_and_a_half_made_folder_are_refused_with_exit_code_17()
    {
        var data = Path.Combine(_folder, "data");
        SecureDefault.Apply(new FabricOptions { Port = 0 }, insecure: false, data, _ => { });
        var tls = Path.Combine(data, "tls");

        File.SetUnixFileMode(tls, (UnixFileMode)Convert.ToInt32("755", 8));
        var refusal = Refusal(data);
        Assert.Equal($"{tls} is open to other users (mode 0755): its keys let anyone who reads them steer the fabric; chmod 700 {tls}, and make new certificates (delete the folder) if others may have read them", refusal.Message);
        File.SetUnixFileMode(tls, (UnixFileMode)Convert.ToInt32("700", 8));

        var client = Path.Combine(tls, "client.pfx");
        File.SetUnixFileMode(client, (UnixFileMode)Convert.ToInt32("640", 8));
        Assert.StartsWith($"{client} is open to other users (mode 0640): its key lets anyone who reads it steer the fabric; chmod 600 {client}", Refusal(data).Message);
        File.SetUnixFileMode(client, (UnixFileMode)Convert.ToInt32("600", 8));

        var node = Path.Combine(tls, "node.pfx");
        var bytes = File.ReadAllBytes(node);
        File.WriteAllBytes(node, bytes[..(bytes.Length / 2)]);
        var damaged = Refusal(data).Message;
        Assert.StartsWith($"TLS certificate {node} cannot be opened", damaged);
        Assert.EndsWith($"this is the fabric's own certificate: delete {tls} to make a new CA and certificates (clients follow)", damaged);

        File.Delete(node);
        Assert.Equal($"{tls} holds no node.pfx (half made, or a file was removed); delete the folder to make a new CA and certificates (clients follow)", Refusal(data).Message);
    }

    [Fact]
    public void Several_hosts_without_a_certificate_or_insecure_are_refused_and_one_host_on_loopback_is_not()
    {
        var many = new FabricOptions { Hostname = "10.0.0.1", Port = 4053, Seeds = ["akka.tcp://fabric@10.0.0.2:4053"] };
        var error = Assert.Throws<FabricConfigurationException>(() => SecureDefault.Apply(many, insecure: false, Path.Combine(_folder, "many"), _ => { }));
        Assert.Equal(FabricConfigurationException.Refused, error.ExitCode);
        Assert.StartsWith("a fabric of several hosts needs one CA for all of its nodes: make a certificate with scripts/dev-cert.sh", error.Message);
        Assert.False(Directory.Exists(Path.Combine(_folder, "many")), "nothing is made for a refused node");

        // Itself as its only seed (the first node of a cluster), or several nodes all on loopback sharing a data folder.
        var self = many with { Seeds = ["akka.tcp://fabric@10.0.0.1:4053"] };
        Assert.NotNull(SecureDefault.Apply(self, insecure: false, Path.Combine(_folder, "self"), _ => { }).TlsCertificate);
        var local = new FabricOptions { Port = 4102, Seeds = ["akka.tcp://fabric@127.0.0.1:4101", "akka.tcp://fabric@localhost:4102"] };
        var shared = Path.Combine(_folder, "shared");
        Assert.Equal(LocalTls.NodeCertificate(shared), SecureDefault.Apply(local, insecure: false, shared, _ => { }).TlsCertificate);

        // Explicit choices: --insecure (with its warning) and a certificate given, which wins.
        var lines = new List<string>();
        Assert.Null(SecureDefault.Apply(many, insecure: true, Path.Combine(_folder, "plain"), lines.Add).TlsCertificate);
        Assert.StartsWith("WARNING: --insecure: cluster port 10.0.0.1:4053 is plaintext, without authentication", Assert.Single(lines));
        Assert.Equal("/etc/fabric/h1.pfx", SecureDefault.Apply(many with { TlsCertificate = "/etc/fabric/h1.pfx" }, insecure: true, _folder, _ => { }).TlsCertificate);
    }

    [Fact]
    public async Task Fabric_node_with_no_flags_runs_TLS_that_only_clients_with_its_data_folder_can_use()
    {
        var data = Path.Combine(_folder, "fabric");
        await using var node = await NodeProcess.Start(_folder, "--port", "0", "--roles", "control", "--node-name", "tls-host", "--db", Path.Combine(data, "fabric.db"));
        Assert.StartsWith("akka.ssl.tcp://", node.Address);
        Assert.Contains($"fabric-node: TLS: made this fabric's CA and certificates in {Path.Combine(data, "tls")}", node.Output);

        var (code, stdout, stderr) = await Run("fabric-vim.dll", "profile", "create", "p1", "--group", "aes-256-gcm:1", "--contact", node.Contact, "--data", data);
        Assert.True(code == 0, $"with the data folder: exit {code}\n{stdout}\n{stderr}");
        (code, stdout, stderr) = await Run("fabric-vim.dll", "profile", "list", "--json", "--contact", node.Contact, "--data", data);
        Assert.True(code == 0, $"exit {code}\n{stderr}");
        Assert.Contains("\"p1\"", stdout);

        // No data folder: the client says it cannot read the certificate (exit 3, as for an unreachable fabric).
        var empty = Path.Combine(_folder, "empty");
        (code, _, stderr) = await Run("fabric-vim.dll", "profile", "list", "--contact", node.Contact, "--data", empty);
        Assert.Equal(3, code);
        Assert.Equal($"fabric-vim: cannot read the fabric's client certificate {Path.Combine(empty, "tls", "client.pfx")}: it does not exist, or this user may not read its folder; run as the fabric's user, give its data folder (--data / FABRIC_DATA), the cluster's certificate (--tls-cert), or --insecure for a plaintext fabric", stderr.Trim());

        // Another user of this host cannot read the data folder, so cannot steer the fabric.
        (code, _, stderr) = await Run("fabric-vim.dll", ["--reuid=65534", "--regid=65534", "--clear-groups"], "profile", "list", "--contact", node.Contact, "--data", data);
        Assert.Equal(3, code);
        Assert.StartsWith($"fabric-vim: cannot read the fabric's client certificate {Path.Combine(data, "tls", "client.pfx")}", stderr);

        // Plaintext, and another fabric's client certificate: refused by the node.
        (code, _, stderr) = await Run("fabric-vim.dll", "profile", "list", "--contact", node.Contact, "--insecure", "--timeout", "2");
        Assert.Equal(3, code);
        Assert.Contains("if the fabric speaks TLS (the default), this client needs its data folder (--data) or the cluster's certificate (--tls-cert)", stderr);
        var other = Path.Combine(_folder, "other");
        LocalTls.EnsureNode(other, out _);
        (code, _, stderr) = await Run("fabric-vim.dll", "profile", "list", "--contact", node.Contact, "--data", other);
        Assert.Equal(3, code);
        Assert.StartsWith($"fabric-vim: the TLS connection to the fabric at {node.Contact} failed", stderr);
    }

    [Fact]
    public async Task Fabric_node_with_insecure_runs_plaintext_says_so_and_makes_no_certificates()
    {
        var data = Path.Combine(_folder, "plain");
        await using var node = await NodeProcess.Start(_folder, "--port", "0", "--roles", "control", "--insecure", "--db", Path.Combine(data, "fabric.db"));

        Assert.StartsWith("akka.tcp://", node.Address);
        Assert.Contains("fabric-node: WARNING: --insecure: cluster port 127.0.0.1:0 is plaintext, without authentication", node.Output);
        Assert.False(Directory.Exists(Path.Combine(data, "tls")));
        var (code, stdout, stderr) = await Run("fabric-vim.dll", "profile", "list", "--contact", node.Contact, "--insecure");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
    }

    [Fact]
    public async Task Fabric_node_refuses_a_data_folder_open_to_others_with_one_line_and_exit_code_17()
    {
        var data = Path.Combine(_folder, "loose");
        LocalTls.EnsureNode(data, out _);
        File.SetUnixFileMode(Path.Combine(data, "tls", "node.pfx"), (UnixFileMode)Convert.ToInt32("644", 8));

        var (code, stdout, stderr) = await Run("fabric-node.dll", "--port", "0", "--db", Path.Combine(data, "fabric.db"));

        Assert.True(code == 17, $"exit {code}\n{stdout}\n{stderr}");
        Assert.StartsWith($"fabric-node: {Path.Combine(data, "tls", "node.pfx")} is open to other users (mode 0644)", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(data, "fabric.db")), "a refused node opens no store");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static FabricConfigurationException Refusal(string data)
    {
        var error = Assert.Throws<FabricConfigurationException>(() => SecureDefault.Apply(new FabricOptions { Port = 0 }, insecure: false, data, _ => { }));
        Assert.Equal(SecureDefault.LocalTlsRefused, error.ExitCode);
        return error;
    }

    /// <summary>Runs a program built beside the tests, bounded in time, with no FABRIC_* from the test's environment.</summary>
    private Task<(int Code, string Stdout, string Stderr)> Run(string program, params string[] args) => Run(program, [], args);

    /// <summary>With <paramref name="asUser"/> (setpriv's options), as another user: what one of this host who is not the fabric's may do.</summary>
    private async Task<(int Code, string Stdout, string Stderr)> Run(string program, string[] asUser, params string[] args)
    {
        var start = Start(_folder, program, args);
        if (asUser.Length > 0)
        {
            var command = start.ArgumentList.ToArray();
            start.FileName = "setpriv";
            start.ArgumentList.Clear();
            foreach (var arg in asUser.Append("--").Append(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet").Concat(command))
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["HOME"] = _folder;
        }

        var (code, stdout, stderr) = await ProcessRunner.Run(start);
        return (code, stdout, stderr);
    }

    private static ProcessStartInfo Start(string folder, string program, string[] args)
    {
        Directory.CreateDirectory(folder);
        var start = ProcessRunner.Dotnet(Path.GetFileNameWithoutExtension(program), folder, args);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("FABRIC_", StringComparison.Ordinal)).ToArray())
        {
            start.Environment.Remove(name);
        }

        start.Environment["FABRIC_LOGLEVEL"] = "WARNING";
        return start;
    }

    /// <summary>A fabric-node process, up (it printed its address); stopped by its pid when disposed.</summary>
    private sealed partial class NodeProcess : IAsyncDisposable
    {
        private readonly RunningProcess _process;

        private NodeProcess(RunningProcess process, string address)
        {
            _process = process;
            Address = address;
        }

        public string Address { get; }

        public string Contact => Address[(Address.IndexOf('@') + 1)..];

        public string Output => _process.Output;

        public static async Task<NodeProcess> Start(string folder, params string[] args)
        {
            var process = RunningProcess.Start(SecureByDefaultTests.Start(folder, "fabric-node.dll", args));
            try
            {
                var address = await process.Line(l => UpLine().Match(l) is { Success: true } m ? m.Groups[1].Value : null,
                    TimeSpan.FromSeconds(90), "its 'up at' line");
                return new NodeProcess(process, address);
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }

        public ValueTask DisposeAsync() => _process.DisposeAsync();

        [GeneratedRegex(@" up at (akka(?:\.ssl)?\.tcp://fabric@[^,\s]+),")]
        private static partial Regex UpLine();
    }
}
