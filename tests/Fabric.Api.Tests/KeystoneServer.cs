using System.Diagnostics;
using System.Net;
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
/// WSGI script under uWSGI on a free port of 127.0.0.1 and stopped by its pid after. Two projects A and B with a member and a
/// reader each (B: a member), an admin, Nova's service user and fabric-api's service user (role <c>service</c>), and the
/// accelerator endpoint in the catalog (fabric-api with <c>--auth keystone</c>, started on a port chosen here).
/// </summary>
public sealed class KeystoneServer : IAsyncLifetime
{
    public const string ManageProgram = "/usr/bin/keystone-manage";
    public const string WsgiProgram = "/usr/bin/keystone-wsgi-public";
    public const string UwsgiProgram = "/usr/bin/uwsgi";
    private const string UwsgiPython = "/usr/lib/uwsgi/plugins/python3_plugin.so";
    private const string AdminPassword = "admin-secret";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(4);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fabric-keystone-tests", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, KeystoneUser> _users = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _apiStart = new(1, 1);
    private Process? _keystone;
    private WebApplication? _api;
    private HttpClient _admin = null!;

    public static string? Missing => File.Exists(ManageProgram) && File.Exists(WsgiProgram) && File.Exists(UwsgiProgram) && File.Exists(UwsgiPython)
        ? null
        : $"{ManageProgram}, {WsgiProgram}, {UwsgiProgram} or {UwsgiPython} is not installed (Debian packages keystone uwsgi-core uwsgi-plugin-python3; ./test.sh installs them)";

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
            connection = sqlite:///{_folder}/keystone.db?check_same_thread=false
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
        await WriteAheadLog(Path.Combine(_folder, "keystone.db"));
        await Manage(config, "fernet_setup", "--keystone-user", user, "--keystone-group", user);
        await Manage(config, "credential_setup", "--keystone-user", user, "--keystone-group", user);
        await Manage(config, "bootstrap", "--bootstrap-password", AdminPassword, "--bootstrap-admin-url", Url, "--bootstrap-public-url", Url,
            "--bootstrap-internal-url", Url, "--bootstrap-region-id", "RegionOne");

        // uWSGI, as Debian runs Keystone (the WSGI script's own wsgiref server cut some answers short for .NET's client).
        var start = new ProcessStartInfo(UwsgiProgram)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            ArgumentList =
            {
                // One worker, one thread: SQLite's connections must stay on the thread that made them. Every answer closes its
                // connection, and says so: uWSGI's HTTP socket keeps none alive.
                "--plugin", "python3", "--http-socket", $"127.0.0.1:{port}", "--wsgi-file", WsgiProgram, "--master", "--processes", "1",
                "--threads", "1", "--die-on-term", "--lazy-apps", "--need-app", "--add-header", "Connection: close",
            },
        };
        start.Environment["OS_KEYSTONE_CONFIG_DIR"] = _folder;
        start.Environment["OS_KEYSTONE_CONFIG_FILES"] = "keystone.conf";
        _keystone = Process.Start(start) ?? throw new InvalidOperationException("uwsgi did not start");
        _keystone.OutputDataReceived += (_, line) => Log(line.Data);
        _keystone.ErrorDataReceived += (_, line) => Log(line.Data);
        _keystone.BeginOutputReadLine();
        _keystone.BeginErrorReadLine();

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.Until(async () =>
        {
            Assert.False(_keystone.HasExited, $"Keystone's uwsgi exited {(_keystone.HasExited ? _keystone.ExitCode : 0)}:\n{LogTail()}");
            try
            {
                using var response = await probe.GetAsync(Url);
                return response.IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, "Keystone to answer", within: TimeSpan.FromSeconds(180));

        // One connection a request: the test server is wsgiref's, one request a connection.
        _admin = new HttpClient { BaseAddress = new Uri(Url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        _admin.DefaultRequestHeaders.ConnectionClose = true;
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
        using var content = new StringContent(new JsonObject
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
        }.ToJsonString(), Encoding.UTF8, "application/json");

        // With its length: the WSGI server does not take a chunked body.
        using var response = await http.PostAsync(Url + "/auth/tokens", content);
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
                _api = FabricApi.Build(["--urls", ApiUrl, "--fabric", $"127.0.0.1:{fabric.Node.Address.Port}", "--data", fabric.DataFolder, "--auth", "keystone", "--keystone-url", Url,
                    "--keystone-user", "fabric-api", "--keystone-password", "fabric-api-secret", "--keystone-project", "service",
                    "--nova-events-url", fabric.Nova.EventsUrl, "--nova-events-token", "service-token", "--Logging:LogLevel:Default", "Warning"]);
                await _api.StartAsync();
                using var http = new HttpClient { BaseAddress = new Uri(ApiUrl) };
                http.DefaultRequestHeaders.Add("X-Auth-Token", this["admin"].Token);
                await Eventually.Until(async () =>
                {
                    using var response = await http.GetAsync("/fabric/v1/status");
                    return response.StatusCode == HttpStatusCode.OK;
                }, "fabric-api with Keystone to connect to the fabric's gateways", within: TimeSpan.FromSeconds(60));
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

        HttpResponseMessage response;
        try
        {
            response = await _admin.SendAsync(request);
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException($"Keystone {method} {path}: {ex.Message}\nKeystone's log ends:\n{LogTail()}", ex);
        }

        using var answered = response;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Keystone {method} {path}: {(int)response.StatusCode} {text}\nKeystone's log ends:\n{LogTail()}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    private readonly Queue<string> _log = new();

    /// <summary>Keystone's last lines, for a failure's message.</summary>
    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            if (_log.Count > 40)
            {
                _log.Dequeue();
            }
        }
    }

    private string LogTail()
    {
        lock (_log)
        {
            return string.Join('\n', _log);
        }
    }

    /// <summary>
    /// Turns the database to WAL: in SQLite's default journal a read transaction Keystone leaves open in its pool blocks the
    /// next write ("database is locked", a 500 on user create); with WAL readers never block the writer. Persistent in the file.
    /// </summary>
    private static async Task WriteAheadLog(string database)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            ArgumentList = { "-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL').fetchone()[0])", database },
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0 && output.Trim() == "wal", $"the Keystone database did not turn to WAL: {output} {errors}");
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
