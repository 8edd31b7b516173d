using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>
/// Fabric's service level keys through fabric-api (issue 19, docs/service-levels.md): in a profile's groups, and on an
/// accelerator request through the Fabric extension, refused with 409 when its device would oversell.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ServiceLevelApiTests(ApiFabric fabric)
{
    private HttpClient Http => fabric.Http;

    private static string Profile(string name, string extra) => new JsonArray(new JsonObject
    {
        ["name"] = name,
        ["groups"] = new JsonArray(JsonNode.Parse($$"""{"resources:CUSTOM_FABRIC_ACCELERATOR": "1", "accel:function_id": "aes-256-gcm"{{extra}}}""")),
    }).ToJsonString();

    [Fact]
    public async Task A_profiles_keys_give_its_requests_a_level_that_is_changed_and_never_oversold()
    {
        var name = "sl-" + Guid.NewGuid().ToString("N")[..8];
        var created = (await Http.Post("/v2/device_profiles", Profile(name, """, "fabric:weight": "3", "fabric:committed_ops": 1000, "fabric:class": "latency" """)))
            .Expect(HttpStatusCode.Created).Body!;
        var group = created["groups"]![0]!;
        Assert.Equal(("3", "1000", "latency", "0"), ((string?)group["fabric:weight"], (string?)group["fabric:committed_ops"], (string?)group["fabric:class"], (string?)group["fabric:peak_ops"]));

        var arq = (await Http.CreateArqs(name)).Uuids()[0];
        var path = $"/fabric/v1/accelerator_requests/{arq}/service_level";
        // A request made through fabric-api runs on its group's hidden profile, which carries the profile's level.
        var made = (await Http.Get(path)).Expect(HttpStatusCode.OK).Body!["service_level"]!;
        Assert.Equal(("3", "1000", "latency", "0"), ((string?)made["fabric:weight"], (string?)made["fabric:committed_ops"], (string?)made["fabric:class"], (string?)made["fabric:peak_ops"]));
        // A change before the bind is kept by the binding the bind makes.
        (await Http.Send(HttpMethod.Put, path, """{"fabric:peak_ops": "4000"}""")).Expect(HttpStatusCode.OK);

        var instance = Guid.NewGuid().ToString();
        (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch([arq], instance, ApiFabric.Host, await Http.RpOf(ApiFabric.CryptoDevice)))).Expect(HttpStatusCode.Accepted);
        await Http.Resolved(instance);
        try
        {
            var bound = (await Http.Get(path)).Expect(HttpStatusCode.OK).Body!["service_level"]!;
            Assert.Equal(("3", "1000", "latency", "4000"), ((string?)bound["fabric:weight"], (string?)bound["fabric:committed_ops"], (string?)bound["fabric:class"], (string?)bound["fabric:peak_ops"]));
            var level = (await Http.Send(HttpMethod.Put, path, """{"fabric:weight": "3", "fabric:committed_ops": "1000"}""")).Expect(HttpStatusCode.OK).Body!["service_level"]!;
            Assert.Equal("3", (string?)level["fabric:weight"]);
            var changed = (await Http.Send(HttpMethod.Put, path, """{"fabric:peak_ops": "5000"}""")).Expect(HttpStatusCode.OK).Body!["service_level"]!;
            Assert.Equal(("3", "1000", "5000"), ((string?)changed["fabric:weight"], (string?)changed["fabric:committed_ops"], (string?)changed["fabric:peak_ops"]));

            var oversold = (await Http.Send(HttpMethod.Put, path, """{"fabric:peak_ops": "0", "fabric:committed_ops": "5000000"}""")).Expect(HttpStatusCode.Conflict);
            Assert.Contains("would oversell", oversold.Fault);
            Assert.Contains("peak 10 ops/s is below the committed 1000 ops/s", (await Http.Send(HttpMethod.Put, path, """{"fabric:peak_ops": "10"}""")).Expect(HttpStatusCode.BadRequest).Fault);
            Assert.Contains("'fabric:speed' is not a Fabric key", (await Http.Send(HttpMethod.Put, path, """{"fabric:speed": "1"}""")).Expect(HttpStatusCode.BadRequest).Fault);
            Assert.Contains("name at least one", (await Http.Send(HttpMethod.Put, path, "{}")).Expect(HttpStatusCode.BadRequest).Fault);
        }
        finally
        {
            (await Http.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);
        }
    }

    [Theory]
    [InlineData(""", "fabric:weight": "0" """, "fabric:weight '0' is not a whole number from 1 to 1000")]
    [InlineData(""", "fabric:class": "gold" """, "fabric:class 'gold' is not latency or bulk")]
    [InlineData(""", "fabric:speed": "9" """, "'fabric:speed' is not a Fabric key")]
    [InlineData(""", "fabric:weight": ["2"] """, "'fabric:weight' must be a string")]
    public async Task A_bad_key_in_a_profile_group_is_refused_with_what_it_must_be(string extra, string message)
    {
        var name = "slbad-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Contains(message, (await Http.Post("/v2/device_profiles", Profile(name, extra))).Expect(HttpStatusCode.BadRequest).Fault);
    }
}
