using System.Text;
using Fabric.Api.Hosting;
using Fabric.Api.Http;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>The pure parts of fabric-api's HTTP edges: which responses get Cyborg's body, how a public URL is read.</summary>
public sealed class HttpEdgeUnitTests
{
    private const string Refusal = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\nDate: Wed, 02 Dec 2026 05:55:30 GMT\r\nServer: Kestrel\r\n\r\n";

    [Fact]
    public void Kestrels_bodiless_refusal_gets_a_body_and_its_length()
    {
        var rewritten = Encoding.UTF8.GetString(KestrelErrorBodies.Rewrite(Encoding.ASCII.GetBytes(Refusal))!);
        var split = rewritten.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = rewritten[(split + 4)..];
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", rewritten);
        Assert.Contains($"\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nContent-Type: application/json\r\n", rewritten[..split]);
        Assert.Contains("\"error_message\"", body);
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")]
    [InlineData("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nDate: x\r\n\r\n")]
    [InlineData("HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{\"a\": \"b\"}")]
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\nHTTP/1.1 200 OK\r\n\r\n")]
    [InlineData("{\"error_message\": \"HTTP/1.1 400\"}")]
    public void Other_responses_pass_unchanged(string response) =>
        Assert.Null(KestrelErrorBodies.Rewrite(Encoding.ASCII.GetBytes(response)));

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("https://cyborg.example:6666", "https://cyborg.example:6666")]
    [InlineData("https://cyborg.example/accelerator/", "https://cyborg.example/accelerator")]
    [InlineData("http://10.0.0.5:6666/", "http://10.0.0.5:6666")]
    public void A_public_url_is_the_base_of_links(string? configured, string? expected) =>
        Assert.Equal(expected, new ApiOptions { PublicUrl = configured }.PublicBase());

    [Theory]
    [InlineData("cyborg.example")]
    [InlineData("ftp://cyborg.example")]
    [InlineData("https://cyborg.example/?x=1")]
    [InlineData("https://user:pw@cyborg.example")]
    public void A_public_url_that_is_not_an_absolute_http_url_is_refused(string configured) =>
        Assert.Contains("--public-url", Assert.Throws<FormatException>(() => new ApiOptions { PublicUrl = configured }.PublicBase()).Message);
}
