using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>
/// The real OpenStack clients against fabric-api on Kestrel: the <c>openstack</c> CLI with python-cyborgclient, and
/// openstacksdk's accelerator proxy (including the bulk PATCH through its adapter, as Nova's Cyborg client sends it).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class OpenStackClientTests(ApiFabric fabric)
{
    private string Endpoint => fabric.ServerUrl + "/v2";

    private async Task<string> RpOf(string deviceId)
    {
        using var http = new HttpClient { BaseAddress = new Uri(fabric.ServerUrl) };
        return await http.RpOf(deviceId);
    }

    private ClientRun Cli(params string[] args) => OpenStackClients.Openstack(Endpoint, args);

    private JsonNode ShowArq(string uuid) => Cli("accelerator", "arq", "show", uuid, "-f", "json").Json;

    /// <summary>Waits until the request's state is one of <paramref name="states"/> (a bind ends in the background).</summary>
    private async Task<JsonNode> ArqReaches(string uuid, params string[] states)
    {
        JsonNode? shown = null;
        await Eventually.Until(() =>
        {
            shown = ShowArq(uuid);
            return Task.FromResult(states.Contains((string?)shown["state"]));
        }, $"accelerator request {uuid} to be {string.Join(" or ", states)}", within: TimeSpan.FromSeconds(60));
        return shown!;
    }

    [SkippableFact]
    public async Task The_openstack_CLI_creates_lists_shows_binds_unbinds_and_deletes_profiles_and_requests_and_lists_devices()
    {
        OpenStackClients.SkipUnlessInstalled();

        var created = Cli("accelerator", "device", "profile", "create", "cli-seal",
            """[{"resources:CUSTOM_FABRIC_ACCELERATOR": 1, "accel:function_id": "aes-256-gcm"}]""", "--description", "from the CLI", "-f", "json").Json;
        Assert.Equal("cli-seal", (string?)created["name"]);
        var profileUuid = (string)created["uuid"]!;
        var listed = Cli("accelerator", "device", "profile", "list", "-f", "json").Json.AsArray();
        Assert.Contains(listed, p => (string?)p!["name"] == "cli-seal" && (string?)p["uuid"] == profileUuid);
        var shown = Cli("accelerator", "device", "profile", "show", profileUuid, "-f", "json").Json;
        Assert.Contains("accel:function_id", shown["groups"]!.ToJsonString());

        var arq = Cli("accelerator", "arq", "create", "cli-seal", "-f", "json").Json;
        var uuid = (string)arq["uuid"]!;
        Assert.Equal(("Initial", "cli-seal"), ((string?)arq["state"], (string?)arq["device_profile_name"]));
        Assert.Contains(Cli("accelerator", "arq", "list", "-f", "json").Json.AsArray(), a => (string?)a!["uuid"] == uuid);

        var devices = Cli("accelerator", "device", "list", "-f", "json").Json.AsArray();
        Assert.Contains(devices, d => (string?)d!["hostname"] == ApiFabric.Host);
        var deployables = Cli("accelerator", "deployable", "list", "-f", "json").Json.AsArray();
        var crypto = deployables.Single(d => (string?)d!["name"] == ApiFabric.CryptoDevice)!;
        Assert.Equal(ApiFabric.CryptoDevice, (string?)Cli("accelerator", "deployable", "show", (string)crypto["uuid"]!, "-f", "json").Json["name"]);

        // program: the image is a Fabric function's UUID (the CLI's look-up of the image in Glance goes to fabric-api, 404, and is not checked).
        using (var http = new HttpClient { BaseAddress = new Uri(fabric.ServerUrl) })
        {
            var compression = (string)deployables.Single(d => (string?)d!["name"] == ApiFabric.CompressionDevice)!["uuid"]!;
            var brotli = (string)(await http.Get("/fabric/v1/functions")).Body!["functions"]!.AsArray().Single(f => (string?)f!["name"] == "brotli")!["uuid"]!;
            try
            {
                Cli("accelerator", "deployable", "program", compression, brotli, "-f", "json").Succeeded();
                Assert.Equal(brotli, (string?)(await http.Get($"/v2/deployables/{compression}")).Expect(HttpStatusCode.OK).Body!["bitstream_id"]);
            }
            finally
            {
                (await http.Patch($"/v2/deployables/{compression}/program", """[{"op": "replace", "path": "/program", "value": []}]""")).Expect(HttpStatusCode.OK);
            }
        }

        // bind one request: PATCH /v2/accelerator_requests/{uuid}; the CLI shows it at once (BindStarted or already Bound).
        var instance = Guid.NewGuid().ToString();
        Cli("accelerator", "arq", "bind", uuid, ApiFabric.Host, instance, await RpOf(ApiFabric.CryptoDevice), "project-1", "-f", "json").Succeeded();
        var bound = await ArqReaches(uuid, "Bound", "BindFailed");
        Assert.Equal(("Bound", instance, ApiFabric.Host, "FABRIC_CHANNEL"),
            ((string?)bound["state"], (string?)bound["instance_uuid"], (string?)bound["hostname"], (string?)bound["attach_handle_type"]));

        Cli("accelerator", "arq", "unbind", uuid, "-f", "json").Succeeded();
        Assert.Equal("Unbound", (string?)ShowArq(uuid)["state"]);

        Assert.Contains($"Deleted accelerator_request {uuid}", Cli("accelerator", "arq", "delete", uuid).Succeeded().Stdout);
        var gone = Cli("accelerator", "arq", "show", uuid, "-f", "json");
        Assert.True(gone.ExitCode != 0 && gone.Stderr.Contains("not found"), gone.Stderr);
        Assert.NotEqual(0, Cli("accelerator", "arq", "delete", uuid).ExitCode);

        Assert.Contains("Deleted device_profile", Cli("accelerator", "device", "profile", "delete", profileUuid).Succeeded().Stdout);
        Assert.DoesNotContain(Cli("accelerator", "device", "profile", "list", "-f", "json").Json.AsArray(), p => (string?)p!["name"] == "cli-seal");
    }

    [SkippableFact]
    public async Task Openstacksdk_binds_one_request_and_a_bulk_as_Nova_does_reads_devices_and_deletes_everything()
    {
        OpenStackClients.SkipUnlessInstalled();
        var rp = await RpOf(ApiFabric.CryptoDevice);
        var instance = Guid.NewGuid().ToString();
        var run = OpenStackClients.Sdk(Endpoint, $$"""
            import time
            acc = conn.accelerator
            out = {}
            def wait(uuids, states):
                deadline = time.monotonic() + 60
                while True:
                    now = {u: acc.get_accelerator_request(u).state for u in uuids}
                    if all(s in states for s in now.values()) or time.monotonic() > deadline:
                        return now
                    time.sleep(0.05)
            bind = lambda inst: [{"op": "add", "path": "/hostname", "value": "{{ApiFabric.Host}}"},
                                 {"op": "add", "path": "/device_rp_uuid", "value": "{{rp}}"},
                                 {"op": "add", "path": "/instance_uuid", "value": inst}]
            unbind = [{"op": "remove", "path": p} for p in ("/hostname", "/device_rp_uuid", "/instance_uuid")]
            dp = acc.create_device_profile(name="sdk-pair", description="two groups", groups=[
                {"resources:CUSTOM_FABRIC_ACCELERATOR": "1", "accel:function_id": "sha256"},
                {"resources:FPGA": "1", "trait:CUSTOM_FABRIC_CRC32C": "required"}])
            out["profile"] = dp.name
            out["listed"] = [p.name for p in acc.device_profiles()]
            out["shown"] = acc.get_device_profile(dp.uuid).name
            first = acc.create_accelerator_request(device_profile_name="sdk-pair")
            arqs = [a.uuid for a in acc.accelerator_requests() if a.device_profile_name == "sdk-pair"]
            out["arqs"] = len(arqs)
            out["first_listed"] = first.uuid in arqs
            acc.update_accelerator_request(first.uuid, bind("{{instance}}"))
            out["single_bound"] = wait([first.uuid], ("Bound", "BindFailed"))[first.uuid]
            acc.update_accelerator_request(first.uuid, unbind)
            out["single_unbound"] = acc.get_accelerator_request(first.uuid).state
            r = acc.patch("/accelerator_requests", json={u: bind("{{instance}}") for u in arqs})
            out["bulk_status"] = r.status_code
            out["bulk_bound"] = sorted(set(wait(arqs, ("Bound", "BindFailed")).values()))
            # The SDK's list takes no instance filter: Nova's query, through the proxy's adapter.
            out["instance_arqs"] = len(acc.get("/accelerator_requests?instance={{instance}}").json()["arqs"])
            out["devices"] = sorted({d.hostname for d in acc.devices()})
            out["deployables"] = sorted(d.name for d in acc.deployables())
            r = acc.delete("/accelerator_requests?instance={{instance}}")
            out["delete_status"] = r.status_code
            try:
                acc.get_accelerator_request(first.uuid)
                out["deleted"] = False
            except openstack.exceptions.ResourceNotFound:
                out["deleted"] = True
            spare = acc.create_accelerator_request(device_profile_name="sdk-pair")
            leftover = [a.uuid for a in acc.accelerator_requests() if a.device_profile_name == "sdk-pair"]
            for u in leftover:
                acc.delete_accelerator_request(u)
            out["left"] = [a.uuid for a in acc.accelerator_requests() if a.device_profile_name == "sdk-pair"]
            acc.delete_device_profile(dp.uuid)
            out["profiles_after"] = [p.name for p in acc.device_profiles() if p.name == "sdk-pair"]
            print(json.dumps(out))
            """);
        var result = run.Json;
        Assert.Equal("sdk-pair", (string?)result["profile"]);
        Assert.Contains("sdk-pair", result["listed"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("sdk-pair", (string?)result["shown"]);
        Assert.Equal(2, (int)result["arqs"]!);
        Assert.True((bool)result["first_listed"]!);
        Assert.Equal("Bound", (string?)result["single_bound"]);
        Assert.Equal("Unbound", (string?)result["single_unbound"]);
        Assert.Equal(202, (int)result["bulk_status"]!);
        Assert.Equal(["Bound"], result["bulk_bound"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(2, (int)result["instance_arqs"]!);
        Assert.Contains(ApiFabric.Host, result["devices"]!.AsArray().Select(n => (string?)n));
        Assert.Contains(ApiFabric.CryptoDevice, result["deployables"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(204, (int)result["delete_status"]!);
        Assert.True((bool)result["deleted"]!);
        Assert.Empty(result["left"]!.AsArray());
        Assert.Empty(result["profiles_after"]!.AsArray());
    }

    [Fact]
    public async Task Links_are_built_from_the_public_url_whatever_Host_the_request_sends()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fabric.ServerUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2");
        request.Headers.Host = "evil.example";
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal($"{fabric.PublicUrl}/v2/", (string?)body["links"]![0]!["href"]);

        using var root = new HttpRequestMessage(HttpMethod.Get, "/");
        root.Headers.Host = "evil.example";
        using var rootResponse = await http.SendAsync(root);
        Assert.DoesNotContain("evil.example", await rootResponse.Content.ReadAsStringAsync());
    }
}
