using Akka.Cluster;
using Fabric.Security;
using Fabric.Vim.Client;
using Xunit;

namespace Fabric.Node.Tests.Security;

/// <summary>
/// Akka.Remote over TLS on 127.0.0.1: members with certificates of the cluster's CA form a cluster and clients with one
/// reach the VIM gateway; a node or client without one (plaintext, or another CA's certificate) is refused, and both
/// sides log why.
/// </summary>
public sealed class TlsClusterTests(ClusterCertificates certificates) : IClassFixture<ClusterCertificates>
{
    private const string Password = ClusterCertificates.Password;
    private static readonly TimeSpan Refusal = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Two_nodes_with_certificates_of_the_cluster_CA_form_a_cluster_over_TLS()
    {
        await using var first = await TlsTestNode.StartUp(certificates.Node, Password);
        await using var second = await TlsTestNode.StartUp(certificates.Second, Password, seed: first, role: "compute");

        Assert.Equal(ClusterTls.Scheme, first.Address.Protocol);
        Assert.Equal(ClusterTls.Scheme, second.Address.Protocol);
        await Eventually.Until(() => first.UpMembers().Count == 2 && second.UpMembers().Count == 2, "both members see two Up members", TlsTestNode.JoinTimeout);
        Assert.DoesNotContain(first.Log.Lines, l => l.Contains("TLS", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_plaintext_node_cannot_join_and_the_TLS_node_logs_the_refused_connection()
    {
        await using var member = await TlsTestNode.StartUp(certificates.Node, Password);
        await using var intruder = TlsTestNode.Start(null, null, seedAddress: ClusterTls.WithScheme(member.Address.ToString(), tls: false));

        var refused = await member.Log.AwaitLine("due to TLS handshake failure", Refusal);
        Assert.Contains("Rejected incoming connection", refused);
        await member.Log.AwaitLine("not an SSL/TLS record", Refusal);
        var failed = await intruder.Log.AwaitLine("Association failed with", Refusal);
        Assert.Contains($"127.0.0.1:{member.Address.Port}", failed);
        Assert.False(await intruder.BecomesUp(TimeSpan.FromSeconds(3)), "a plaintext node joined a TLS cluster");
        Assert.Single(member.UpMembers());
    }

    [Fact]
    public async Task A_node_with_another_clusters_certificate_cannot_join_and_both_sides_log_why()
    {
        await using var member = await TlsTestNode.StartUp(certificates.Node, Password);
        await using var intruder = TlsTestNode.Start(certificates.Stranger, Password, seed: member);

        // Both sides check the other's certificate; whichever finishes first names it and the CA it trusts instead
        // (the other side may only see the connection close), and both log the failed handshake.
        await member.Log.AwaitLine("due to TLS handshake failure", Refusal);
        await intruder.Log.AwaitLine("TLS handshake failed", Refusal);
        var refusal = await AwaitEither(
            (member.Log, "TLS: refused the connection with"), (intruder.Log, "TLS: refused the connection with"));
        Assert.Contains("is not issued by this fabric's CA", refusal);
        Assert.True(refusal.Contains("CN=stranger", StringComparison.Ordinal) || refusal.Contains("CN=node-1", StringComparison.Ordinal), refusal);
        Assert.False(await intruder.BecomesUp(TimeSpan.FromSeconds(3)), "a node of another CA joined");
        Assert.Single(member.UpMembers());
    }

    [Fact]
    public async Task A_client_with_the_certificate_reaches_the_VIM_gateway_over_TLS()
    {
        await using var member = await TlsTestNode.StartUp(certificates.Node, Password);
        var tls = ClusterTls.Load(certificates.Second, Password);

        await using var client = await FabricVimClient.ConnectAsync(member.Contact, TimeSpan.FromSeconds(10), tls);
        var info = await client.Info();

        Assert.NotNull(info);
    }

    [Fact]
    public async Task A_client_without_the_certificate_cannot_reach_the_VIM_gateway_and_the_node_logs_the_refusal()
    {
        await using var member = await TlsTestNode.StartUp(certificates.Node, Password);

        var refused = await Assert.ThrowsAsync<FabricUnreachableException>(() => FabricVimClient.ConnectAsync(member.Contact, TimeSpan.FromSeconds(3), attempts: 1));

        Assert.Contains("--tls-cert", refused.Message);
        await member.Log.AwaitLine("Rejected incoming connection", Refusal);
    }

    [Fact]
    public async Task A_client_with_another_clusters_certificate_is_refused_at_once_with_the_reason()
    {
        await using var member = await TlsTestNode.StartUp(certificates.Node, Password);
        var stranger = ClusterTls.Load(certificates.Stranger, Password);

        var started = DateTime.UtcNow;
        var refused = await Assert.ThrowsAsync<FabricUnreachableException>(() => FabricVimClient.ConnectAsync(member.Contact, TimeSpan.FromSeconds(10), stranger));

        Assert.StartsWith($"the TLS connection to the fabric at {member.Contact} failed, so this client stopped: ", refused.Message);
        Assert.Contains("certificates of the same cluster CA (--tls-cert)", refused.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), $"the refusal took {(DateTime.UtcNow - started).TotalSeconds:0.0}s");
        await member.Log.AwaitLine("Rejected incoming connection", Refusal);
    }

    /// <summary>The first line with the given text in either log; fails with both logs if none comes in time.</summary>
    private static Task<string> AwaitEither((LogRecorder Log, string Text) first, (LogRecorder Log, string Text) second) =>
        Eventually.Found(() => Task.FromResult(new[] { first, second }
                .Select(side => side.Log.Lines.FirstOrDefault(l => l.Contains(side.Text, StringComparison.Ordinal)))
                .FirstOrDefault(line => line is not null)),
            "either side to log the refusal", Refusal, describe: () => $"\n{first.Log}\n---\n{second.Log}");
}
