using System.Net;
using Xunit;

namespace Fabric.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class FabricExtensionTests(ApiFabric fabric)
{
    private HttpClient Http => fabric.Http;

    [Fact]
    public async Task A_pipeline_is_defined_on_a_bound_request_and_listed_by_it()
    {
        await Http.CreateProfile("ext-pipe", "aes-256-gcm");
        var arq = (await Http.CreateArqs("ext-pipe")).Uuids()[0];
        var body = $$"""{"accelerator_request": "{{arq}}", "name": "seal", "stages": ["aes-256-gcm"]}""";
        Assert.Contains("bind it first", (await Http.Post("/fabric/v1/pipelines", body)).Expect(HttpStatusCode.Conflict).Fault);

        var instance = Guid.NewGuid().ToString();
        (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch([arq], instance, ApiFabric.Host, await Http.RpOf(ApiFabric.CryptoDevice)))).Expect(HttpStatusCode.Accepted);
        await Http.Resolved(instance);
        var outside = body.Replace("[\"aes-256-gcm\"]", "[\"aes-256-gcm\", \"sha256\"]");
        Assert.Contains("sha256", (await Http.Post("/fabric/v1/pipelines", outside)).Expect(HttpStatusCode.BadRequest).Fault);
        var pipeline = (await Http.Post("/fabric/v1/pipelines", body)).Expect(HttpStatusCode.Created).Body!;
        Assert.Equal((arq, "seal", ApiFabric.CryptoDevice), ((string?)pipeline["accelerator_request"], (string?)pipeline["name"], (string?)pipeline["device_id"]));

        await Eventually.Until(async () => (await Http.Get($"/fabric/v1/pipelines?accelerator_request={arq}")).Body!["pipelines"]!.AsArray().Count == 1,
            "the pipeline index to list it");
        (await Http.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("{\"name\": \"p\", \"stages\": [\"sha256\"]}", HttpStatusCode.BadRequest, "'accelerator_request' is required")]
    [InlineData("{\"accelerator_request\": \"UNKNOWN\", \"name\": \"p\", \"stages\": [\"sha256\"]}", HttpStatusCode.NotFound, "ARQ not found")]
    [InlineData("{\"accelerator_request\": \"UNKNOWN\", \"name\": \"p\", \"stages\": [1]}", HttpStatusCode.BadRequest, "stage 0 must be a function name")]
    [InlineData("{\"accelerator_request\": \"UNKNOWN\", \"name\": \"p\", \"stages\": \"sha256\"}", HttpStatusCode.BadRequest, "'stages' must be a JSON list")]
    [InlineData("{\"accelerator_request\": \"UNKNOWN\", \"name\": \"p\", \"stages\": [], \"device\": \"x\"}", HttpStatusCode.BadRequest, "unknown field 'device'")]
    public async Task A_wrong_pipeline_is_refused(string template, HttpStatusCode status, string message)
    {
        var body = template.Replace("UNKNOWN", Guid.NewGuid().ToString());
        Assert.Contains(message, (await Http.Post("/fabric/v1/pipelines", body)).Expect(status).Fault);
    }

    [Fact]
    public async Task The_dataplane_of_a_host_lists_its_devices_and_an_unknown_host_is_404()
    {
        var dataplane = (await Http.Get($"/fabric/v1/dataplane/{ApiFabric.Host}")).Expect(HttpStatusCode.OK).Body!;
        Assert.Equal(ApiFabric.Host, (string?)dataplane["hostname"]);
        Assert.Contains(dataplane["devices"]!.AsArray(), d => (string?)d!["device_id"] == ApiFabric.CryptoDevice);
        Assert.Contains("no-such-host", (await Http.Get("/fabric/v1/dataplane/no-such-host")).Expect(HttpStatusCode.NotFound).Fault);
        var status = (await Http.Get("/fabric/v1/status")).Expect(HttpStatusCode.OK).Body!;
        Assert.True((bool)status["connected"]!);
    }
}
