using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>What a client program did: its exit code and output.</summary>
public sealed record ClientRun(string Command, int ExitCode, string Stdout, string Stderr)
{
    public ClientRun Succeeded()
    {
        Assert.True(ExitCode == 0, $"{Command} exited {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}");
        return this;
    }

    public JsonNode Json => JsonNode.Parse(Succeeded().Stdout) ?? throw new InvalidOperationException($"{Command} printed JSON null");
}

/// <summary>
/// The real OpenStack clients of Debian (python3-openstackclient with python3-cyborgclient, python3-openstacksdk; test.sh
/// installs them), run as a user would, with no authentication (<c>--os-auth-type none</c>) against a fabric-api endpoint.
/// The system Python is used: the packages live in its dist-packages, not in any other Python on the PATH.
/// </summary>
public static class OpenStackClients
{
    public const string Cli = "/usr/bin/openstack";
    public const string Python = "/usr/bin/python3";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static readonly Lazy<string?> Missing = new(() =>
    {
        if (!File.Exists(Cli) || !File.Exists(Python))
        {
            return $"{Cli} or {Python} is not installed (Debian packages python3-openstackclient python3-cyborgclient python3-openstacksdk; ./test.sh installs them)";
        }

        var probe = Run(Python, ["-c", "import openstack.accelerator.v2._proxy, cyborgclient.osc.v2.accelerator_request"]);
        return probe.ExitCode == 0 ? null : $"the OpenStack client packages do not import: {probe.Stderr}";
    });

    /// <summary>Skips the test, saying why, when the clients cannot be had on this machine.</summary>
    public static void SkipUnlessInstalled() => Skip.If(Missing.Value is not null, Missing.Value);

    /// <summary><c>openstack --os-auth-type none --os-endpoint URL/v2 ARGS</c>.</summary>
    public static ClientRun Openstack(string endpoint, params string[] args) =>
        Run(Cli, ["--os-auth-type", "none", "--os-endpoint", endpoint, .. args]);

    /// <summary>A Python script with <c>conn</c>, an openstacksdk connection to the endpoint (no authentication), and <c>json</c>.</summary>
    public static ClientRun Sdk(string endpoint, string script) =>
        Run(Python, ["-c", $$"""
            import json, sys
            import openstack
            conn = openstack.connection.Connection(auth_type="none", auth={"endpoint": "{{endpoint}}"},
                                                   accelerator_endpoint_override="{{endpoint}}")
            {{script}}
            """]);

    /// <summary><c>openstack</c> as a Keystone user (password authentication; the endpoint from Keystone's catalog) with <c>ARGS</c>.</summary>
    public static ClientRun OpenstackAs(string authUrl, KeystoneUser user, params string[] args) =>
        Run(Cli, ["--os-auth-type", "password", "--os-auth-url", authUrl, "--os-identity-api-version", "3", "--os-username", user.Name,
            "--os-password", user.Password, "--os-project-name", user.Project, "--os-user-domain-name", "Default", "--os-project-domain-name", "Default",
            "--os-region-name", "RegionOne", "--os-interface", "public", .. args]);

    private static ClientRun Run(string program, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Nothing of the caller's cloud: no OS_* settings, no clouds.yaml from the home folder.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("OS_", StringComparison.Ordinal)).ToArray())
        {
            start.Environment.Remove(key);
        }

        start.Environment["HOME"] = Path.GetTempPath();
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        var command = $"{Path.GetFileName(program)} {string.Join(' ', args.Select(a => a.Contains(' ') ? $"'{a}'" : a))}";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ClientRun(command, -1, stdout.Result, $"timed out after {Timeout.TotalSeconds}s\n{stderr.Result}");
        }

        return new ClientRun(command, process.ExitCode, stdout.Result, stderr.Result);
    }
}
