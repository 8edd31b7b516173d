using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Fabric.Api.Auth;
using Fabric.Api.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>
/// fabric-api with <c>--auth keystone</c> against a real Keystone (<see cref="KeystoneServer"/>): tokens, projects and
/// Cyborg's default personas, over HTTP and with the real <c>openstack</c> CLI logging in with a password.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class KeystoneAuthTests(ApiFabric fabric, KeystoneServer keystone) : IClassFixture<KeystoneServer>
{
    private async Task<HttpClient> As(string user, string? serviceToken = null)
    {
        Skip.If(KeystoneServer.Missing is not null, KeystoneServer.Missing);
        var http = new HttpClient { BaseAddress = new Uri(await keystone.Api(fabric)), Timeout = TimeSpan.FromSeconds(60) };
        if (user.Length > 0)
        {
            http.DefaultRequestHeaders.Add("X-Auth-Token", keystone[user].Token);
        }

        if (serviceToken is not null)
        {
            http.DefaultRequestHeaders.Add("X-Service-Token", serviceToken);
        }

        return http;
    }

    private static string Arqs(JsonNode body) => string.Join(",", body["arqs"]!.AsArray().Select(a => (string)a!["uuid"]!).Order());

    [SkippableFact]
    public async Task No_token_or_a_wrong_one_answers_401_with_where_to_get_one_and_the_versions_stay_open()
    {
        using var anonymous = await As("");
        var missing = (await anonymous.Get("/v2/accelerator_requests")).Expect(HttpStatusCode.Unauthorized);
        Assert.Equal("The request you have made requires authentication.", missing.Fault);
        Assert.Equal($"Keystone uri=\"{keystone.Url}\"", missing.Headers.WwwAuthenticate.ToString());

        using var forged = await As("");
        forged.DefaultRequestHeaders.Add("X-Auth-Token", "gAAAAA-not-a-token");
        (await forged.Get("/v2/device_profiles")).Expect(HttpStatusCode.Unauthorized);
        (await forged.Get("/fabric/v1/status")).Expect(HttpStatusCode.Unauthorized);

        // A valid user token with a service token that is not valid: refused, as keystonemiddleware does.
        using var badService = await As("alice", serviceToken: "not-a-token");
        (await badService.Get("/v2/accelerator_requests")).Expect(HttpStatusCode.Unauthorized);

        (await anonymous.Get("/v2")).Expect(HttpStatusCode.OK);
        (await anonymous.Get("/")).Expect(HttpStatusCode.OK);
    }

    [SkippableFact]
    public async Task Each_project_sees_and_acts_on_its_own_requests_admin_sees_all_readers_only_read()
    {
        using var admin = await As("admin");
        using var alice = await As("alice");
        using var rita = await As("rita");
        using var bob = await As("bob");
        using var nobody = await As("nobody");

        // Profiles: only admins make them (Cyborg's device_profile:create); every project reads them.
        var profile = "ks-" + Guid.NewGuid().ToString("N")[..8];
        var refused = (await alice.Post("/v2/device_profiles", $$"""[{"name": "{{profile}}", "groups": [{"resources:CUSTOM_FABRIC_ACCELERATOR": "1", "accel:function_id": "sha256"}]}]"""))
            .Expect(HttpStatusCode.Forbidden);
        Assert.Equal("Policy doesn't allow cyborg:device_profile:create to be performed.", refused.Fault);
        var made = await admin.CreateProfile(profile, "sha256");
        Assert.Equal(keystone["admin"].ProjectId, (string?)made["project_id"]);
        (await bob.Get($"/v2/device_profiles/{(string)made["uuid"]!}")).Expect(HttpStatusCode.OK);

        var aliceArq = (string)(await alice.CreateArqs(profile))[0]!["uuid"]!;
        var bobArq = (string)(await bob.CreateArqs(profile))[0]!["uuid"]!;
        var shown = (await alice.Get($"/v2/accelerator_requests/{aliceArq}")).Expect(HttpStatusCode.OK).Body!;
        Assert.Equal(keystone["alice"].ProjectId, (string?)shown["project_id"]);

        // Lists are scoped to the caller's project; the admin sees every project's.
        var aliceList = Arqs((await alice.Get("/v2/accelerator_requests")).Expect(HttpStatusCode.OK).Body!);
        Assert.Contains(aliceArq, aliceList);
        Assert.DoesNotContain(bobArq, aliceList);
        Assert.Contains(aliceArq, Arqs((await rita.Get("/v2/accelerator_requests")).Expect(HttpStatusCode.OK).Body!));
        var bobList = Arqs((await bob.Get("/v2/accelerator_requests")).Expect(HttpStatusCode.OK).Body!);
        Assert.Contains(bobArq, bobList);
        Assert.DoesNotContain(aliceArq, bobList);
        var all = Arqs((await admin.Get("/v2/accelerator_requests")).Expect(HttpStatusCode.OK).Body!);
        Assert.Contains(aliceArq, all);
        Assert.Contains(bobArq, all);

        // Another project's request is not there: show, bind (bulk and one), delete all answer 404, and it is untouched.
        var rp = await admin.RpOf(ApiFabric.CryptoDevice);
        var instance = Guid.NewGuid().ToString("D");
        Assert.Contains(aliceArq, (await bob.Get($"/v2/accelerator_requests/{aliceArq}")).Expect(HttpStatusCode.NotFound).Fault);
        (await bob.Patch("/v2/accelerator_requests", Calls.BindPatch([aliceArq], instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.NotFound);
        (await bob.Patch($"/v2/accelerator_requests/{aliceArq}", Calls.BindPatch([aliceArq], instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.NotFound);
        (await bob.Delete($"/v2/accelerator_requests/{aliceArq}")).Expect(HttpStatusCode.NotFound);
        (await bob.Delete($"/v2/accelerator_requests?arqs={aliceArq}")).Expect(HttpStatusCode.NotFound);
        Assert.Equal("Initial", (string?)(await alice.Get($"/v2/accelerator_requests/{aliceArq}")).Expect(HttpStatusCode.OK).Body!["state"]);

        // A reader reads but does not write; a role Cyborg does not know reads nothing.
        Assert.Equal("Policy doesn't allow cyborg:arq:create to be performed.",
            (await rita.Post("/v2/accelerator_requests", $$"""{"device_profile_name": "{{profile}}"}""")).Expect(HttpStatusCode.Forbidden).Fault);
        (await rita.Delete($"/v2/accelerator_requests/{aliceArq}")).Expect(HttpStatusCode.Forbidden);
        (await rita.Patch("/v2/accelerator_requests", Calls.BindPatch([aliceArq], instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.Forbidden);
        (await nobody.Get("/v2/accelerator_requests")).Expect(HttpStatusCode.Forbidden);
        (await alice.Get("/v2/devices")).Expect(HttpStatusCode.Forbidden);
        (await alice.Get("/fabric/v1/status")).Expect(HttpStatusCode.Forbidden);

        // The owner binds and deletes its own.
        (await alice.Patch("/v2/accelerator_requests", Calls.BindPatch([aliceArq], instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.Accepted);
        Assert.Equal("Bound", (string?)(await alice.Resolved(instance)).Single()!["state"]);
        (await alice.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);
        (await admin.Delete($"/v2/accelerator_requests/{bobArq}")).Expect(HttpStatusCode.NoContent);
        (await admin.Delete($"/v2/device_profiles/{profile}", version: "accelerator 2.2")).Expect(HttpStatusCode.NoContent);
    }

    [SkippableFact]
    public async Task Nova_with_a_users_token_and_its_service_token_binds_and_unbinds_any_projects_request()
    {
        using var admin = await As("admin");
        using var alice = await As("alice");
        var profile = "ks-nova-" + Guid.NewGuid().ToString("N")[..8];
        await admin.CreateProfile(profile, "sha256");
        var arq = (string)(await alice.CreateArqs(profile))[0]!["uuid"]!;
        var rp = await admin.RpOf(ApiFabric.CryptoDevice);
        var instance = Guid.NewGuid().ToString("D");

        // Without the service token bob (project B) may not; with Nova's service token beside his, the service persona may.
        using var bob = await As("bob");
        (await bob.Patch("/v2/accelerator_requests", Calls.BindPatch([arq], instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.NotFound);
        using var nova = await As("bob", serviceToken: keystone["nova"].Token);
        (await nova.Patch("/v2/accelerator_requests", Calls.BindPatch([arq], instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.Accepted);
        var bound = (await nova.Resolved(instance)).Single()!;
        Assert.Equal("Bound", (string?)bound["state"]);
        Assert.Equal(keystone["alice"].ProjectId, (string?)bound["project_id"]);
        (await nova.Patch($"/v2/accelerator_requests/{arq}", Calls.UnbindPatch([arq]))).Expect(HttpStatusCode.Accepted);
        await Eventually.Until(async () => (string?)(await alice.Get($"/v2/accelerator_requests/{arq}")).Body?["state"] == "Unbound", "the unbind");

        // Nova's own token (role service) alone works too.
        using var service = await As("nova");
        (await service.Delete($"/v2/accelerator_requests/{arq}")).Expect(HttpStatusCode.NoContent);
        (await admin.Delete($"/v2/device_profiles/{profile}", version: "accelerator 2.2")).Expect(HttpStatusCode.NoContent);
    }

    [SkippableFact]
    public async Task A_validated_token_is_cached_and_a_new_one_is_asked_about_once()
    {
        using var http = await As("");
        var fresh = await keystone.Login("rita", "rita-secret", "project-a");
        http.DefaultRequestHeaders.Add("X-Auth-Token", fresh.Token);
        var client = keystone.ApiServices!.GetRequiredService<KeystoneClient>();
        var before = client.Validations;
        for (var i = 0; i < 5; i++)
        {
            (await http.Get("/v2/device_profiles")).Expect(HttpStatusCode.OK);
        }

        Assert.Equal(before + 1, client.Validations);
    }

    [SkippableFact]
    public async Task The_openstack_CLI_logs_in_with_a_password_and_sees_only_its_projects_requests()
    {
        OpenStackClients.SkipUnlessInstalled();
        using var admin = await As("admin");
        using var bob = await As("bob");
        var profile = "ks-cli-" + Guid.NewGuid().ToString("N")[..8];
        await admin.CreateProfile(profile, "sha256");
        var bobArq = (string)(await bob.CreateArqs(profile))[0]!["uuid"]!;

        var created = OpenStackClients.OpenstackAs(keystone.Url, keystone["alice"], "accelerator", "arq", "create", profile, "-f", "json").Json;
        var aliceArq = (string)created["uuid"]!;

        // The CLI's create does not print project_id: the API shows the token's project.
        using var alice = await As("alice");
        Assert.Equal(keystone["alice"].ProjectId, (string?)(await alice.Get($"/v2/accelerator_requests/{aliceArq}")).Expect(HttpStatusCode.OK).Body!["project_id"]);
        var listed = OpenStackClients.OpenstackAs(keystone.Url, keystone["alice"], "accelerator", "arq", "list", "-f", "json").Json.AsArray()
            .Select(a => (string)a!["uuid"]!).ToArray();
        Assert.Contains(aliceArq, listed);
        Assert.DoesNotContain(bobArq, listed);

        var hidden = OpenStackClients.OpenstackAs(keystone.Url, keystone["alice"], "accelerator", "arq", "show", bobArq);
        Assert.NotEqual(0, hidden.ExitCode);
        Assert.Contains("not found", hidden.Stdout + hidden.Stderr);
        var reader = OpenStackClients.OpenstackAs(keystone.Url, keystone["rita"], "accelerator", "arq", "create", profile);
        Assert.NotEqual(0, reader.ExitCode);
        Assert.Contains("Policy doesn't allow cyborg:arq:create", reader.Stdout + reader.Stderr);

        OpenStackClients.OpenstackAs(keystone.Url, keystone["alice"], "accelerator", "arq", "delete", aliceArq).Succeeded();
        (await admin.Delete($"/v2/accelerator_requests/{bobArq}")).Expect(HttpStatusCode.NoContent);
        (await admin.Delete($"/v2/device_profiles/{profile}", version: "accelerator 2.2")).Expect(HttpStatusCode.NoContent);
    }

    [SkippableFact]
    public async Task A_keystone_that_is_down_or_does_not_answer_is_a_503_within_the_timeout_not_a_hang()
    {
        Skip.If(KeystoneServer.Missing is not null, KeystoneServer.Missing);

        // One port with nothing on it, one that takes connections and never answers.
        var closed = ApiFabric.FreePort();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await silent.AcceptSocketAsync());
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        });

        foreach (var url in (string[])[$"http://127.0.0.1:{closed}/v3", $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/v3"])
        {
            var apiUrl = $"http://127.0.0.1:{ApiFabric.FreePort()}";
            await using var api = FabricApi.Build(["--urls", apiUrl, "--fabric", $"127.0.0.1:{fabric.Node.Address.Port}", "--auth", "keystone",
                "--keystone-url", url, "--keystone-user", "fabric-api", "--keystone-password", "x", "--keystone-project", "service",
                "--keystone-timeout", "00:00:02", "--Logging:LogLevel:Default", "Error"]);
            await api.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(apiUrl), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add("X-Auth-Token", "some-token");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var reply = (await http.Get("/v2/accelerator_requests")).Expect(HttpStatusCode.ServiceUnavailable);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"answered after {watch.Elapsed}");
            Assert.Contains("Keystone", reply.Fault);
            await api.StopAsync();
        }

        silent.Stop();
        await accepting;
        accepted.ForEach(s => s.Dispose());
    }
}
