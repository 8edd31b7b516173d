using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Fabric.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class DeviceTests(ApiFabric fabric)
{
    private HttpClient Http => fabric.Http;

    private async Task<JsonNode> Device(string deviceId, string? version = null) =>
        (await Http.Get("/v2/devices", version)).Expect(HttpStatusCode.OK).Body!["devices"]!.AsArray()
            .Single(d => ((string)d!["std_board_info"]!).Contains($"\"device_id\":\"{deviceId}\""))!;

    private async Task<JsonNode> Deployable(string deviceId) =>
        (await Http.Get("/v2/deployables")).Expect(HttpStatusCode.OK).Body!["deployables"]!.AsArray().Single(d => (string?)d!["name"] == deviceId)!;

    private async Task<string> FunctionUuid(string function) =>
        (string)(await Http.Get("/fabric/v1/functions")).Body!["functions"]!.AsArray().Single(f => (string?)f!["name"] == function)!["uuid"]!;

    [Fact]
    public async Task Devices_are_listed_with_their_host_and_from_2_3_their_status_and_can_be_got_and_filtered()
    {
        var crypto = await Device(ApiFabric.CryptoDevice);
        var uuid = (string)crypto["uuid"]!;
        Assert.Equal((ApiFabric.Host, "fabric"), ((string?)crypto["hostname"], (string?)crypto["vendor"]));
        Assert.Null(crypto["status"]);
        Assert.Contains("aes-256-gcm", (string)crypto["std_board_info"]!);
        Assert.Equal("enabled", (string?)(await Device(ApiFabric.CryptoDevice, "accelerator 2.3"))["status"]);

        var one = (await Http.Get($"/v2/devices/{uuid}", "accelerator 2.3")).Expect(HttpStatusCode.OK).Body!;
        Assert.Equal((uuid, "enabled", $"http://localhost/v2/devices/{uuid}"), ((string?)one["uuid"], (string?)one["status"], (string?)one["links"]![0]!["href"]));

        var type = (string)crypto["type"]!;
        var byType = (await Http.Get($"/v2/devices?type={type}&hostname={ApiFabric.Host}&vendor=fabric")).Body!["devices"]!.AsArray();
        Assert.Equal([uuid], byType.Select(d => (string)d!["uuid"]!));
        Assert.Empty((await Http.Get("/v2/devices?hostname=elsewhere")).Body!["devices"]!.AsArray());

        Assert.Contains("Device not found", (await Http.Get($"/v2/devices/{Guid.NewGuid()}")).Expect(HttpStatusCode.NotFound).Fault);
        Assert.Contains("not a device uuid", (await Http.Get("/v2/devices/sw-crypto-0")).Expect(HttpStatusCode.BadRequest).Fault);
        (await Http.Send(HttpMethod.Post, $"/v2/devices/{Guid.NewGuid()}/disable")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_device_disabled_for_maintenance_takes_no_bind_the_bind_fails_and_Nova_hears_it_failed_until_enabled()
    {
        var device = (string)(await Device(ApiFabric.CompressionDevice))["uuid"]!;
        var rp = await Http.RpOf(ApiFabric.CompressionDevice);
        await Http.CreateProfile("dev-maint", "brotli");
        (await Http.Send(HttpMethod.Post, $"/v2/devices/{device}/disable")).Expect(HttpStatusCode.OK);
        Assert.Equal("maintaining", (string?)(await Http.Get($"/v2/devices/{device}", "accelerator 2.3")).Body!["status"]);
        try
        {
            var arq = (await Http.CreateArqs("dev-maint")).Uuids()[0];
            var instance = Guid.NewGuid().ToString();
            (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch([arq], instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.Accepted);
            var failed = Assert.Single(await Http.Resolved(instance))!;
            Assert.Equal("BindFailed", (string?)failed["state"]);
            Assert.Equal("", (string?)failed["attach_handle_type"]);
            await Eventually.Until(() => Task.FromResult(fabric.Nova.EventsFor(arq).Count > 0), "Nova to be told");
            Assert.Equal("failed", (string?)Assert.Single(fabric.Nova.EventsFor(arq))["status"]);

            // Nova cleans up a failed bind by uuid.
            (await Http.Delete($"/v2/accelerator_requests?arqs={arq}")).Expect(HttpStatusCode.NoContent);
        }
        finally
        {
            (await Http.Send(HttpMethod.Post, $"/v2/devices/{device}/enable")).Expect(HttpStatusCode.OK);
        }

        Assert.Equal("enabled", (string?)(await Http.Get($"/v2/devices/{device}", "accelerator 2.3")).Body!["status"]);

        // Placement learns of the enable from the journal, a moment later: a bind succeeds again once it has.
        await Eventually.Until(async () =>
        {
            var next = Guid.NewGuid().ToString();
            (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch((await Http.CreateArqs("dev-maint")).Uuids(), next, ApiFabric.Host, rp)))
                .Expect(HttpStatusCode.Accepted);
            var bound = (string?)Assert.Single(await Http.Resolved(next))!["state"] == "Bound";
            (await Http.Delete($"/v2/accelerator_requests?instance={next}")).Expect(HttpStatusCode.NoContent);
            return bound;
        }, "a bind on the enabled device to succeed");
    }

    [Fact]
    public async Task Deployables_are_one_per_device_with_its_accelerators_resource_provider_and_traits()
    {
        var deployable = await Deployable(ApiFabric.CryptoDevice);
        var uuid = (string)deployable["uuid"]!;
        Assert.Equal(16, (int)deployable["num_accelerators"]!);
        Assert.Contains("CUSTOM_FABRIC_AES_256_GCM", (string)deployable["attributes_list"]!);
        Assert.Null(deployable["bitstream_id"]);
        var links = deployable["links"]!.AsArray();
        Assert.Equal(($"http://localhost/v2/deployables/{uuid}", "self"), ((string?)links[0]!["href"], (string?)links[0]!["rel"]));
        Assert.Equal(($"http://localhost/deployables/{uuid}", "bookmark"), ((string?)links[1]!["href"], (string?)links[1]!["rel"]));
        Assert.Equal(uuid, (string?)(await Http.Get($"/v2/deployables/{uuid}")).Expect(HttpStatusCode.OK).Body!["uuid"]);
        Assert.Contains("Deployable not found", (await Http.Get($"/v2/deployables/{Guid.NewGuid()}")).Expect(HttpStatusCode.NotFound).Fault);
    }

    [Fact]
    public async Task Programming_a_deployable_selects_the_function_it_offers_and_an_empty_program_offers_all_again()
    {
        var uuid = (string)(await Deployable(ApiFabric.CompressionDevice))["uuid"]!;
        var deflate = await FunctionUuid("deflate");
        string Program(string image) => $$"""[{"op": "replace", "path": "/program", "value": [{{image}}]}]""";
        try
        {
            var programmed = (await Http.Patch($"/v2/deployables/{uuid}/program", Program($$"""{"image_uuid": "{{deflate}}"}"""))).Expect(HttpStatusCode.OK).Body!;
            Assert.Equal(deflate, (string?)programmed["bitstream_id"]);
            Assert.DoesNotContain("BROTLI", (string)programmed["attributes_list"]!);
            Assert.Contains("\"functions\":[\"deflate\"]", (string)(await Device(ApiFabric.CompressionDevice))["std_board_info"]!);

            // A request for a function the device no longer offers finds no device.
            await Http.CreateProfile("dev-program", "brotli");
            var arq = (await Http.CreateArqs("dev-program")).Uuids()[0];
            var instance = Guid.NewGuid().ToString();
            (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch([arq], instance, ApiFabric.Host, await Http.RpOf(ApiFabric.CompressionDevice))))
                .Expect(HttpStatusCode.Accepted);
            Assert.Equal("BindFailed", (string?)Assert.Single(await Http.Resolved(instance))!["state"]);
            (await Http.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);

            var byName = (await Http.Patch($"/v2/deployables/{uuid}/program", Program("""{"function_id": "crc32c"}"""))).Expect(HttpStatusCode.OK).Body!;
            Assert.Equal(await FunctionUuid("crc32c"), (string?)byName["bitstream_id"]);
        }
        finally
        {
            var all = (await Http.Patch($"/v2/deployables/{uuid}/program", Program(""))).Expect(HttpStatusCode.OK).Body!;
            Assert.Null(all["bitstream_id"]);
            Assert.Contains("CUSTOM_FABRIC_BROTLI", (string)all["attributes_list"]!);
        }
    }

    [Fact]
    public async Task A_function_held_by_a_bound_request_cannot_be_programmed_away()
    {
        var uuid = (string)(await Deployable(ApiFabric.CompressionDevice))["uuid"]!;
        await Http.CreateProfile("dev-held", "deflate");
        var instance = Guid.NewGuid().ToString();
        (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch((await Http.CreateArqs("dev-held")).Uuids(), instance, ApiFabric.Host,
            await Http.RpOf(ApiFabric.CompressionDevice)))).Expect(HttpStatusCode.Accepted);
        Assert.Equal("Bound", (string?)Assert.Single(await Http.Resolved(instance))!["state"]);

        var refused = await Http.Patch($"/v2/deployables/{uuid}/program", """[{"op": "replace", "path": "/program", "value": [{"function_id": "brotli"}]}]""");
        Assert.Contains("cannot be withdrawn", refused.Expect(HttpStatusCode.Conflict).Fault);
        Assert.Null((await Deployable(ApiFabric.CompressionDevice))["bitstream_id"]);
        (await Http.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("{\"op\": \"replace\"}", HttpStatusCode.BadRequest, "must be a JSON list")]
    [InlineData("[{\"op\": \"add\", \"path\": \"/program\", \"value\": []}]", HttpStatusCode.BadRequest, "must be {\"op\": \"replace\"")]
    [InlineData("[{\"op\": \"replace\", \"path\": \"/program\", \"value\": [{\"image_uuid\": \"5518a925-1c2c-49a2-a8bf-0927d9456f3e\"}]}]", HttpStatusCode.BadRequest, "is not a Fabric function image")]
    [InlineData("[{\"op\": \"replace\", \"path\": \"/program\", \"value\": [{\"function_id\": \"md5\"}]}]", HttpStatusCode.BadRequest, "unknown function 'md5'")]
    [InlineData("[{\"op\": \"replace\", \"path\": \"/program\", \"value\": [{\"function_id\": \"aes-256-gcm\"}]}]", HttpStatusCode.BadRequest, "cannot run aes-256-gcm")]
    [InlineData("[{\"op\": \"replace\", \"path\": \"/program\", \"value\": [{\"function_id\": \"deflate\", \"image_uuid\": \"x\"}]}]", HttpStatusCode.BadRequest, "one of them")]
    [InlineData("[{\"op\": \"replace\", \"path\": \"/program\", \"value\": [{\"function_id\": \"deflate\"}, {\"function_id\": \"brotli\"}]}]", HttpStatusCode.BadRequest, "one image at a time")]
    [InlineData("[{\"op\": \"replace\", \"path\": \"/program\", \"value\": [{\"bitstream\": \"deflate\"}]}]", HttpStatusCode.BadRequest, "unknown field 'bitstream'")]
    public async Task A_wrong_program_is_refused_and_the_device_keeps_its_functions(string body, HttpStatusCode status, string message)
    {
        var uuid = (string)(await Deployable(ApiFabric.CompressionDevice))["uuid"]!;
        Assert.Contains(message, (await Http.Patch($"/v2/deployables/{uuid}/program", body)).Expect(status).Fault);
        Assert.Contains("CUSTOM_FABRIC_BROTLI", (string)(await Deployable(ApiFabric.CompressionDevice))["attributes_list"]!);
        Assert.Contains("CUSTOM_FABRIC_DEFLATE", (string)(await Deployable(ApiFabric.CompressionDevice))["attributes_list"]!);
    }

    [Fact]
    public async Task Programming_an_unknown_deployable_is_404()
    {
        var body = """[{"op": "replace", "path": "/program", "value": [{"function_id": "deflate"}]}]""";
        Assert.Contains("Deployable not found", (await Http.Patch($"/v2/deployables/{Guid.NewGuid()}/program", body)).Expect(HttpStatusCode.NotFound).Fault);
    }
}
