using System.Text.Json.Nodes;
using Fabric.Api.Http;

namespace Fabric.Api.Hosting;

/// <summary><c>GET /</c> (the API's versions) and <c>GET /v2</c> (version 2 and its microversion range), in Cyborg's shapes.</summary>
public static class VersionEndpoints
{
    public static void MapRoot(WebApplication app) =>
        app.MapGet("/", (HttpRequest request) =>
        {
            Query.OnlyKnown(request);
            return JsonResults.Of(new JsonObject
            {
                ["name"] = "OpenStack Cyborg API",
                ["description"] = "Cyborg is the OpenStack project for lifecycle management of hardware accelerators, such as GPUs,"
                    + "FPGAs, AI chips, security accelerators, etc. Served here by Fabric (fabric-api).",
                ["versions"] = new JsonArray(Version(request)),
                ["default_version"] = Version(request),
            });
        }).WithTags("versions").WithSummary("The API's versions");

    public static void MapV2(RouteGroupBuilder v2) =>
        v2.MapGet("", (HttpRequest request) =>
        {
            Query.OnlyKnown(request);
            return JsonResults.Of(new JsonObject
            {
                ["id"] = "v2.0",
                ["max_version"] = Microversion.Maximum.ToString(),
                ["min_version"] = Microversion.Minimum.ToString(),
                ["status"] = "CURRENT",
                ["links"] = new JsonArray(new JsonObject { ["href"] = $"{Links.Base(request)}/v2/", ["rel"] = "self" }),
            });
        }).WithTags("versions").WithSummary("Version 2 and its microversions");

    private static JsonObject Version(HttpRequest request) => new()
    {
        ["id"] = "v2",
        ["status"] = "CURRENT",
        ["max_version"] = Microversion.Maximum.ToString(),
        ["min_version"] = Microversion.Minimum.ToString(),
        ["links"] = new JsonArray(new JsonObject { ["href"] = $"{Links.Base(request)}/v2", ["rel"] = "self" }),
    };
}
