using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Fabric.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class VersionAndErrorTests(ApiFabric fabric)
{
    private HttpClient Http => fabric.Http;

    [Fact]
    public async Task The_root_lists_version_2_with_its_microversion_range_and_links()
    {
        var root = (await Http.Get("/")).Expect(HttpStatusCode.OK).Body!;
        Assert.Equal("OpenStack Cyborg API", (string?)root["name"]);
        var v2 = Assert.Single(root["versions"]!.AsArray())!;
        Assert.Equal(("v2", "CURRENT", "2.0", "2.4"), ((string?)v2["id"], (string?)v2["status"], (string?)v2["min_version"], (string?)v2["max_version"]));
        Assert.Equal("http://localhost/v2", (string?)v2["links"]![0]!["href"]);
        Assert.Equal("v2", (string?)root["default_version"]!["id"]);

        var version = (await Http.Get("/v2")).Expect(HttpStatusCode.OK);
        Assert.Equal(("v2.0", "2.0", "2.4"), ((string?)version.Body!["id"], (string?)version.Body["min_version"], (string?)version.Body["max_version"]));
        Assert.Equal("accelerator 2.0", version.Headers.GetValues("OpenStack-API-Version").Single());
        Assert.Equal("2.0", version.Headers.GetValues("OpenStack-API-Minimum-Version").Single());
        Assert.Equal("2.4", version.Headers.GetValues("OpenStack-API-Maximum-Version").Single());
        Assert.Contains("OpenStack-API-Version", version.Headers.Vary);
    }

    [Theory]
    [InlineData("accelerator 2.2", "accelerator 2.2")]
    [InlineData("accelerator latest", "accelerator 2.4")]
    [InlineData("compute 2.90, accelerator 2.3", "accelerator 2.3")]
    [InlineData("2.1", "accelerator 2.1")]
    [InlineData("compute 2.90", "accelerator 2.0")]
    public async Task The_microversion_header_is_read_as_Cyborg_reads_it(string header, string answered)
    {
        var reply = (await Http.Get("/v2", header)).Expect(HttpStatusCode.OK);
        Assert.Equal(answered, reply.Headers.GetValues("OpenStack-API-Version").Single());
    }

    [Theory]
    [InlineData("accelerator 2.5", "minor version is not supported")]
    [InlineData("accelerator 3.0", "Mutually exclusive versions requested")]
    [InlineData("accelerator two", "Invalid value for OpenStack-API-Version")]
    public async Task An_unsupported_or_unreadable_microversion_is_406_with_the_range(string header, string message)
    {
        var reply = (await Http.Get("/v2/device_profiles", header)).Expect(HttpStatusCode.NotAcceptable);
        Assert.Contains(message, reply.Fault);
        Assert.Equal("2.4", reply.Headers.GetValues("OpenStack-API-Maximum-Version").Single());
    }

    [Fact]
    public async Task Unknown_routes_and_methods_answer_in_Cyborgs_error_format()
    {
        Assert.Contains("/v2/no_such_thing", (await Http.Get("/v2/no_such_thing")).Expect(HttpStatusCode.NotFound).Fault);
        Assert.Contains("PUT", (await Http.Send(HttpMethod.Put, "/v2/device_profiles", "[]")).Expect(HttpStatusCode.MethodNotAllowed).Fault);
    }

    [Fact]
    public async Task Bodies_that_are_not_JSON_or_too_large_or_queries_with_unknown_parameters_are_refused()
    {
        Assert.StartsWith("the body is not valid JSON", (await Http.Post("/v2/device_profiles", "[{\"name\": ")).Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Contains("text/plain", (await Http.Send(HttpMethod.Post, "/v2/device_profiles", "[]", contentType: "text/plain")).Expect(HttpStatusCode.UnsupportedMediaType).Fault);
        Assert.Contains("larger than", (await Http.Post("/v2/device_profiles", new string(' ', 2 << 20) + "[]")).Expect(HttpStatusCode.RequestEntityTooLarge).Fault);
        Assert.StartsWith("the body is not valid JSON", (await Http.Post("/v2/accelerator_requests",
            "{\"device_profile_name\": \"a\", \"device_profile_name\": \"b\"}")).Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Contains("needs a JSON body", (await Http.Post("/v2/accelerator_requests", "")).Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Contains("unknown query parameter 'limit'", (await Http.Get("/v2/deployables?limit=5")).Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Contains("given 2 times", (await Http.Get("/v2/device_profiles?name=a&name=b")).Expect(HttpStatusCode.BadRequest).Fault);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_Cyborg_routes_and_Fabrics_extensions()
    {
        var document = (await Http.Get("/openapi/v1.json")).Expect(HttpStatusCode.OK).Body!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToArray();
        foreach (var path in new[]
        {
            "/", "/v2", "/v2/device_profiles", "/v2/device_profiles/{id}", "/v2/accelerator_requests", "/v2/accelerator_requests/{uuid}",
            "/v2/devices", "/v2/devices/{uuid}", "/v2/devices/{uuid}/disable", "/v2/devices/{uuid}/enable", "/v2/deployables",
            "/v2/deployables/{uuid}", "/v2/deployables/{uuid}/program", "/fabric/v1/functions", "/fabric/v1/pipelines", "/fabric/v1/dataplane/{hostname}",
        })
        {
            Assert.Contains(path, paths);
        }

        Assert.NotNull(document["paths"]!["/v2/accelerator_requests"]!["patch"]);
    }

    [Fact]
    public async Task Fabrics_functions_list_the_uuids_that_stand_for_them_as_images()
    {
        var functions = (await Http.Get("/fabric/v1/functions")).Expect(HttpStatusCode.OK).Body!["functions"]!.AsArray();
        var aes = functions.Single(f => (string?)f!["name"] == "aes-256-gcm")!;
        Assert.Equal("CUSTOM_FABRIC_AES_256_GCM", (string?)aes["trait"]);
        Assert.True(Guid.TryParse((string?)aes["uuid"], out _));
        Assert.Equal(functions.Count, functions.Select(f => (string?)f!["uuid"]).Distinct().Count()); // one uuid per function
    }
}
