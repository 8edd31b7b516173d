using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>One HTTP answer: status, JSON body (if any), headers.</summary>
public sealed record Reply(HttpStatusCode Status, JsonNode? Body, HttpResponseHeaders Headers, string Text)
{
    /// <summary>The message of a Cyborg error body ({"error_message": "{faultcode, faultstring, debuginfo}"}), checked for its shape.</summary>
    public string Fault
    {
        get
        {
            Assert.True((int)Status >= 400, $"expected an error, got {(int)Status}: {Text}");
            var fault = JsonNode.Parse((string)Body!["error_message"]!)!;
            Assert.Equal((int)Status >= 500 ? "Server" : "Client", (string?)fault["faultcode"]);
            Assert.Null(fault["debuginfo"]);
            return (string)fault["faultstring"]!;
        }
    }

    public Reply Expect(HttpStatusCode status)
    {
        Assert.True(Status == status, $"expected {(int)status}, got {(int)Status}: {Text}");
        return this;
    }
}

public static class Calls
{
    public static async Task<Reply> Send(this HttpClient http, HttpMethod method, string path, string? json = null, string? version = null,
        string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (version is not null)
        {
            request.Headers.TryAddWithoutValidation("OpenStack-API-Version", version);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? body = null;
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            body = JsonNode.Parse(text);
        }

        return new Reply(response.StatusCode, body, response.Headers, text);
    }

    public static Task<Reply> Get(this HttpClient http, string path, string? version = null) => http.Send(HttpMethod.Get, path, version: version);

    public static Task<Reply> Post(this HttpClient http, string path, string json, string? version = null) => http.Send(HttpMethod.Post, path, json, version);

    public static Task<Reply> Patch(this HttpClient http, string path, string json, string? version = null) => http.Send(HttpMethod.Patch, path, json, version);

    public static Task<Reply> Delete(this HttpClient http, string path, string? version = null) => http.Send(HttpMethod.Delete, path, version: version);

    /// <summary>Creates a device profile with one group per function (one accelerator each unless given as function:n).</summary>
    public static async Task<JsonNode> CreateProfile(this HttpClient http, string name, params string[] groups)
    {
        var list = new JsonArray(groups.Select(g =>
        {
            var parts = g.Split(':');
            return (JsonNode)new JsonObject
            {
                ["resources:CUSTOM_FABRIC_ACCELERATOR"] = parts.Length > 1 ? parts[1] : "1",
                ["accel:function_id"] = parts[0],
            };
        }).ToArray());
        var body = new JsonArray(new JsonObject { ["name"] = name, ["groups"] = list });
        return (await http.Post("/v2/device_profiles", body.ToJsonString())).Expect(HttpStatusCode.Created).Body!;
    }

    public static async Task<JsonArray> CreateArqs(this HttpClient http, string profile) =>
        (await http.Post("/v2/accelerator_requests", $$"""{"device_profile_name": "{{profile}}"}""")).Expect(HttpStatusCode.Created).Body!["arqs"]!.AsArray();

    /// <summary>The bind patch Nova sends: every ARQ to the instance on the host, with a resource provider of the host.</summary>
    public static string BindPatch(IEnumerable<string> arqs, string instance, string host, string rp) =>
        new JsonObject(arqs.Select(a => KeyValuePair.Create(a, (JsonNode?)new JsonArray(
            new JsonObject { ["op"] = "add", ["path"] = "/hostname", ["value"] = host },
            new JsonObject { ["op"] = "add", ["path"] = "/device_rp_uuid", ["value"] = rp },
            new JsonObject { ["op"] = "add", ["path"] = "/instance_uuid", ["value"] = instance })))).ToJsonString();

    public static string UnbindPatch(IEnumerable<string> arqs) =>
        new JsonObject(arqs.Select(a => KeyValuePair.Create(a, (JsonNode?)new JsonArray(
            new JsonObject { ["op"] = "remove", ["path"] = "/hostname" },
            new JsonObject { ["op"] = "remove", ["path"] = "/device_rp_uuid" },
            new JsonObject { ["op"] = "remove", ["path"] = "/instance_uuid" })))).ToJsonString();

    /// <summary>The rp_uuid of the deployable named <paramref name="deviceId"/>.</summary>
    public static async Task<string> RpOf(this HttpClient http, string deviceId)
    {
        var deployables = (await http.Get("/v2/deployables")).Expect(HttpStatusCode.OK).Body!["deployables"]!.AsArray();
        return (string)deployables.Single(d => (string?)d!["name"] == deviceId)!["rp_uuid"]!;
    }

    /// <summary>Nova's wait: polls GET ?instance=&amp;bind_state=resolved until it is no longer 423.</summary>
    public static async Task<JsonArray> Resolved(this HttpClient http, string instance)
    {
        Reply? reply = null;
        await Eventually.Until(async () =>
        {
            reply = await http.Get($"/v2/accelerator_requests?instance={instance}&bind_state=resolved");
            return reply.Status != HttpStatusCode.Locked;
        }, $"the binds of instance {instance} to resolve");
        return reply!.Expect(HttpStatusCode.OK).Body!["arqs"]!.AsArray();
    }

    public static IReadOnlyList<string> Uuids(this JsonArray arqs) => arqs.Select(a => (string)a!["uuid"]!).ToArray();
}
