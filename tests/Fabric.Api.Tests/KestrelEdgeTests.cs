using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>Requests Kestrel refuses before fabric-api sees them, sent as raw bytes: they still get Cyborg's error body.</summary>
[Collection(ApiCollection.Name)]
public sealed class KestrelEdgeTests(ApiFabric fabric)
{
    private async Task<(int Status, string Head, string Body)> Raw(string request)
    {
        var uri = new Uri(fabric.ServerUrl);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        using var stream = client.GetStream();
        stream.ReadTimeout = 30_000;
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var answer = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.CopyToAsync(answer, timeout.Token);
        var text = Encoding.UTF8.GetString(answer.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no complete answer: {text}");
        return (int.Parse(text.Substring(9, 3)), text[..split], text[(split + 4)..]);
    }

    public static TheoryData<string, int> Refused => new()
    {
        { "GARBAGE\r\n\r\n", 400 },
        { "GET /v2/device_profiles/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400 },
        { "GET /v2 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400 },
        { $"GET /v2/{new string('a', 9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 414 },
        { $"GET /v2 HTTP/1.1\r\nHost: x\r\nX-Big: {new string('b', 40000)}\r\nConnection: close\r\n\r\n", 431 },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_request_Kestrel_refuses_gets_a_Cyborg_error_body(string request, int status)
    {
        var (got, head, body) = await Raw(request);
        Assert.Equal(status, got);
        Assert.Contains("Content-Type: application/json", head);
        Assert.Contains($"Content-Length: {Encoding.UTF8.GetByteCount(body)}", head);
        var fault = JsonNode.Parse((string)JsonNode.Parse(body)!["error_message"]!)!;
        Assert.Equal("Client", (string?)fault["faultcode"]);
        Assert.False(string.IsNullOrEmpty((string?)fault["faultstring"]));
    }

    [Fact]
    public async Task Answers_of_the_API_on_a_kept_alive_connection_are_unchanged()
    {
        var (status, head, body) = await Raw("GET /v2 HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, status);
        Assert.Contains("OpenStack-API-Version: accelerator 2.0", head);
        Assert.Contains("\"min_version\":\"2.0\"", body);
        Assert.Contains("HTTP/1.1 404 Not Found", body);
        Assert.Contains("The resource could not be found", body);
    }
}
