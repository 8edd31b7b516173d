using Fabric.Api.Auth;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>fabric-api's authentication options at start: refused in one line with exit code 2.</summary>
public sealed class AuthStartupTests
{
    [Fact]
    public void Auth_none_on_a_non_loopback_address_is_refused_with_one_line_and_exit_code_2() =>
        StartupTests.AssertOneLine(2, StartupTests.RunApi("--urls", $"http://0.0.0.0:{ApiFabric.FreePort()}", "--fabric", "127.0.0.1:1", "--insecure"),
            "--auth none on http://0.0.0.0");

    [Fact]
    public void Auth_keystone_without_its_service_credential_is_refused_with_one_line_and_exit_code_2() =>
        StartupTests.AssertOneLine(2, StartupTests.RunApi("--urls", $"http://127.0.0.1:{ApiFabric.FreePort()}", "--fabric", "127.0.0.1:1", "--insecure",
            "--auth", "keystone", "--keystone-url", "http://127.0.0.1:5000/v3"), "needs the service credential");

    [Fact]
    public void An_unknown_auth_mode_is_refused_with_one_line_and_exit_code_2() =>
        StartupTests.AssertOneLine(2, StartupTests.RunApi("--urls", $"http://127.0.0.1:{ApiFabric.FreePort()}", "--fabric", "127.0.0.1:1", "--insecure",
            "--auth", "noauth2"), "--auth 'noauth2' is not known");

    [Theory]
    [InlineData("http://127.0.0.1:6666", null)]
    [InlineData("http://localhost:6666;http://[::1]:6666", null)]
    [InlineData("http://127.0.0.1:6666;http://10.0.0.5:6666", "http://10.0.0.5:6666")]
    [InlineData("http://*:6666", "http://*:6666")]
    [InlineData("http://+:6666", "http://+:6666")]
    [InlineData("http://[::]:6666", "http://[::]:6666")]
    [InlineData("not-a-url", null)]
    public void Loopback_is_told_from_other_addresses(string urls, string? exposed) => Assert.Equal(exposed, AuthOptions.NonLoopback(urls));

    [Fact]
    public void Auth_none_anywhere_is_a_flag_that_allows_it()
    {
        var options = new AuthOptions { AllowNoneAnywhere = true };
        options.Validate("http://0.0.0.0:6666");
        Assert.Equal(["--auth-none-anywhere", "true", "--urls", "x"], AuthOptions.WithFlagValues(["--auth-none-anywhere", "--urls", "x"]));
    }
}
