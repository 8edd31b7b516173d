using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>fabric-api as a program: what it says and how it exits when it cannot start.</summary>
public sealed class StartupTests
{
    internal static (int ExitCode, string Stdout, string Stderr) RunApi(params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fabric-api.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"fabric-api {string.Join(' ', args)} did not exit within 60 s: {stdout.Result} {stderr.Result}");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    internal static void AssertOneLine(int expectedExit, (int ExitCode, string Stdout, string Stderr) run, string contains)
    {
        Assert.True(run.ExitCode == expectedExit, $"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        var lines = (run.Stdout + run.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("fabric-api: ", line);
        Assert.Contains(contains, line);
    }

    [Fact]
    public void Without_the_fabrics_client_certificate_or_insecure_fabric_api_ends_with_one_line_and_exit_code_2()
    {
        // Secure by default: no --tls-cert and no --insecure means the data folder's client certificate, and there is none.
        var empty = Path.Combine(Path.GetTempPath(), "fabric-api-no-data", Guid.NewGuid().ToString("N"));
        AssertOneLine(2, RunApi("--urls", "http://127.0.0.1:0", "--fabric", "127.0.0.1:1", "--data", empty),
            $"cannot read the fabric's client certificate {Path.Combine(empty, "tls", "client.pfx")}: it does not exist, or this user may not read its folder");
    }

    [Fact]
    public void A_taken_port_ends_fabric_api_with_one_line_and_exit_code_3()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        AssertOneLine(3, RunApi("--urls", url, "--fabric", "127.0.0.1:1", "--insecure"), $"cannot listen on {url}");
    }

    [Theory]
    [InlineData("not-a-url")]
    [InlineData("http://127.0.0.1:99999")]
    [InlineData("ftp://127.0.0.1:6666")]
    public void A_malformed_urls_ends_fabric_api_with_one_line_and_exit_code_3(string urls) =>
        AssertOneLine(3, RunApi("--urls", urls, "--fabric", "127.0.0.1:1", "--insecure"), $"cannot listen on {urls}");

    [Fact]
    public void A_malformed_public_url_ends_fabric_api_with_one_line_and_exit_code_2() =>
        AssertOneLine(2, RunApi("--urls", "http://127.0.0.1:0", "--fabric", "127.0.0.1:1", "--insecure", "--public-url", "cyborg.example"), "--public-url 'cyborg.example'");
}
