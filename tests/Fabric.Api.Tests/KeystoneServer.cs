using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Fabric.Api.Hosting;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>A Keystone user of the fixture: its name, password, project and a token scoped to that project.</summary>
public sealed record KeystoneUser(string Name, string Password, string Project, string ProjectId, string Token);

/// <summary>
/// A real Keystone (Debian's package: <c>keystone</c>; test.sh installs it) on SQLite in a temporary folder, served by its
/// own WSGI script on a free port of 127.0.0.1 and stopped by its pid after. Two projects A and B with a member and a
/// reader each (B: a member), an admin, Nova's service user and fabric-api's service user (role <c>service</c>), and the
/// accelerator endpoint in the catalog (fabric-api with <c>--auth keystone</c>, started on a port chosen here).
/// </summary>
public sealed class KeystoneServer : IAsyncLifetime
{
    public const string ManageProgram = "/usr/bin/keystone-manage";
    public const string WsgiProgram = "/usr/bin/keystone-wsgi-public";
    private const string AdminPassword = "admin-secret";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(4);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fabric-keystone-tests", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, KeystoneUser> _users = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _apiStart = new(1, 1);
    private Process? _keystone;
    private WebApplication? _api;
    private HttpClient _admin = null!;

    public static string? Missing => File.Exists(ManageProgram) && File.Exists(WsgiProgram)
        ? null
        : $"{ManageProgram} or {WsgiProgram} is not installed (Debian package keystone; ./test.sh installs it)";

    /// <summary>Keystone's v3 endpoint.</summary>
    public string Url { get; private set; } = "";

    /// <summary>fabric-api with <c>--auth keystone</c> (started by <see cref="Api"/>): its base URL.</summary>
    public string ApiUrl { get; private set; } = "";

    public KeystoneUser this[string name] => _users[name];

    /// <summary>The services of the fabric-api with Keystone, once <see cref="Api"/> started it.</summary>
    public IServiceProvider? ApiServices => _api?.Services;

    public async Task InitializeAsync()
    {
        if (Missing is not null)
        {
            return;
        }

        Directory.CreateDirectory(Path.Combine(_folder, "fernet"));
        Directory.CreateDirectory(Path.Combine(_folder, "credential"));
        var port = ApiFabric.FreePort();
        Url = $"http://127.0.0.1:{port}/v3";
        ApiUrl = $"http://127.0.0.1:{ApiFabric.FreePort()}";
        var config = Path.Combine(_folder, "keystone.conf");

        // SQLite in the folder, fernet keys in the folder, the cheapest password hashing (the tests make users, not attacks).
        await File.WriteAllTextAsync(config, $"""
            [DEFAULT]
            use_stderr = true
            [database]
            connection = sqlite:///{_folder}/keystone.db
            [token]
            provider = fernet
            expiration = 3600
            [fernet_tokens]
            key_repository = {_folder}/fernet
            [fernet_receipts]
            key_repository = {_folder}/fernet
            [credential]
            key_repository = {_folder}/credential
            [identity]
            password_hash_rounds = 4
            """);
        var user = Environment.UserName;
        await Manage(config, "db_sync");
        await Manage(config, "fernet_setup", "--keystone-user", user, "--keystone-group", user);
        await Manage(config, "credential_setup", "--keystone-user", user, "--keystone-group", user);
        await Manage(config, "bootstrap", "--bootstrap-password", AdminPassword, "--bootstrap-admin-url", Url, "--bootstrap-public-url", Url,
            "--bootstrap-internal-url", Url, "--bootstrap-region-id", "RegionOne");

        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            ArgumentList = { WsgiProgram, "--host", "127.0.0.1", "--port", port.ToString() },
        };
        start.Environment["OS_KEYSTONE_CONFIG_DIR"] = _folder;
        start.Environment["OS_KEYSTONE_CONFIG_FILES"] = "keystone.conf";
        _keystone = Process.Start(start) ?? throw new InvalidOperationException("keystone-wsgi-public did not start");
        _keystone.OutputDataReceived += (_, _) => { };
        _keystone.ErrorDataReceived += (_, _) => { };
        _keystone.BeginOutputReadLine();
        _keystone.BeginErrorReadLine();

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Wait.Until(async () =>
        {
            Assert.False(_keystone.HasExited, $"keystone-wsgi-public exited {(_keystone.HasExited ? _keystone.ExitCode : 0)}");
            try
            {
                using var response = await probe.GetAsync(Url);
                return response.IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, "Keystone to answer", seconds: 180);

        _admin = new HttpClient { BaseAddress = new Uri(Url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        _admin.DefaultRequestHeaders.Add("X-Auth-Token", (await Login("admin", AdminPassword, "admin")).Token);
        await Populate();
    }

    private async Task Populate()
    {
        var roles = (await Get("roles"))["roles"]!.AsArray().ToDictionary(r => (string)r!["name"]!, r => (string)r!["id"]!);
        roles["service"] = (string)(await Post("roles", new JsonObject { ["role"] = new JsonObject { ["name"] = "service" } }))["role"]!["id"]!;
        var projects = new Dictionary<string, string>();
        foreach (var name in (string[])["project-a", "project-b", "service"])
        {
            projects[name] = (string)(await Post("projects", new JsonObject { ["project"] = new JsonObject { ["name"] = name, ["domain_id"] = "default" } }))["project"]!["id"]!;
        }

        var admin = (string)(await Get("projects?name=admin"))["projects"]![0]!["id"]!;
        projects["admin"] = admin;
        foreach (var (name, project, role) in (ValueTuple<string, string, string>[])
            [("alice", "project-a", "member"), ("rita", "project-a", "reader"), ("bob", "project-b", "member"), ("nova", "service", "service"),
             ("fabric-api", "service", "service"), ("nobody", "project-a", "")])
        {
            var id = (string)(await Post("users", new JsonObject
            {
                ["user"] = new JsonObject { ["name"] = name, ["password"] = name + "-secret", ["domain_id"] = "default" },
            }))["user"]!["id"]!;
            if (role.Length > 0)
            {
                await Put($"projects/{projects[project]}/users/{id}/roles/{roles[role]}");
            }
            else
            {
                // A user whose only role means nothing to Cyborg: authenticated, allowed nothing.
                roles.TryAdd("observer", (string)(await Post("roles", new JsonObject { ["role"] = new JsonObject { ["name"] = "observer" } }))["role"]!["id"]!);
                await Put($"projects/{projects[project]}/users/{id}/roles/{roles["observer"]}");
            }
        }

        foreach (var name in (string[])["alice", "rita", "bob", "nova", "nobody"])
        {
            var project = name switch { "alice" or "rita" or "nobody" => "project-a", "bob" => "project-b", _ => "service" };
            _users[name] = await Login(name, name + "-secret", project);
        }

        _users["admin"] = await Login("admin", AdminPassword, "admin");

        // The catalog names fabric-api as the accelerator service, as a deployment's would: the CLI finds it there.
        var service = (string)(await Post("services", new JsonObject
        {
            ["service"] = new JsonObject { ["type"] = "accelerator", ["name"] = "cyborg" },
        }))["service"]!["id"]!;
        foreach (var face in (string[])["public", "internal"])
        {
            await Post("endpoints", new JsonObject
            {
                ["endpoint"] = new JsonObject { ["service_id"] = service, ["interface"] = face, ["url"] = ApiUrl + "/v2", ["region_id"] = "RegionOne" },
            });
        }
    }

    /// <summary>A new project-scoped token of a user (password authentication).</summary>
    public async Task<KeystoneUser> Login(string name, string password, string project)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var response = await http.PostAsJsonAsync(Url + "/auth/tokens", new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["methods"] = new JsonArray("password"),
                    ["password"] = new JsonObject
                    {
                        ["user"] = new JsonObject { ["name"] = name, ["domain"] = new JsonObject { ["name"] = "Default" }, ["password"] = password },
                    },
                },
                ["scope"] = new JsonObject { ["project"] = new JsonObject { ["name"] = project, ["domain"] = new JsonObject { ["name"] = "Default" } } },
            },
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"login of {name}: {(int)response.StatusCode} {body}");
        var projectId = (string)JsonNode.Parse(body)!["token"]!["project"]!["id"]!;
        return new KeystoneUser(name, password, project, projectId, response.Headers.GetValues("X-Subject-Token").First());
    }

    /// <summary>fabric-api with <c>--auth keystone</c> in front of the test fabric, started once, on <see cref="ApiUrl"/>.</summary>
    public async Task<string> Api(ApiFabric fabric)
    {
        await _apiStart.WaitAsync();
        try
        {
            if (_api is null)
            {
                _api = FabricApi.Build(["--urls", ApiUrl, "--fabric", $"127.0.0.1:{fabric.Node.Address.Port}", "--auth", "keystone", "--keystone-url", Url,
                    "--keystone-user", "fabric-api", "--keystone-password", "fabric-api-secret", "--keystone-project", "service",
                    "--nova-events-url", fabric.Nova.EventsUrl, "--nova-events-token", "service-token", "--Logging:LogLevel:Default", "Warning"]);
                await _api.StartAsync();
                using var http = new HttpClient { BaseAddress = new Uri(ApiUrl) };
                http.DefaultRequestHeaders.Add("X-Auth-Token", this["admin"].Token);
                await Wait.Until(async () =>
                {
                    using var response = await http.GetAsync("/fabric/v1/status");
                    return response.StatusCode == HttpStatusCode.OK;
                }, "fabric-api with Keystone to connect to the fabric's gateways", seconds: 60);
            }

            return ApiUrl;
        }
        finally
        {
            _apiStart.Release();
        }
    }

    private async Task<JsonNode> Get(string path) => await Send(HttpMethod.Get, path, null);

    private async Task<JsonNode> Post(string path, JsonObject body) => await Send(HttpMethod.Post, path, body);

    private async Task Put(string path) => await Send(HttpMethod.Put, path, null);

    private async Task<JsonNode> Send(HttpMethod method, string path, JsonObject? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await _admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Keystone {method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    private async Task Manage(string config, params string[] args)
    {
        var start = new ProcessStartInfo(ManageProgram)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            ArgumentList = { "--config-file", config },
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{ManageProgram} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StepTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"keystone-manage {args[0]} did not end within {StepTimeout}");
        }

        Assert.True(process.ExitCode == 0, $"keystone-manage {args[0]} exited {process.ExitCode}: {await stdout}\n{await stderr}");
    }

    public async Task DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.StopAsync();
            await _api.DisposeAsync();
        }

        _admin?.Dispose();
        if (_keystone is { } keystone)
        {
            if (!keystone.HasExited)
            {
                keystone.Kill(entireProcessTree: true);
            }

            await keystone.WaitForExitAsync();
            keystone.Dispose();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
