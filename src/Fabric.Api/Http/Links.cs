using System.Text.Json.Nodes;

namespace Fabric.Api.Http;

/// <summary>Cyborg's <c>links</c>: absolute URLs under where this API is reached (scheme, host and path base of the request).</summary>
public static class Links
{
    public static string Base(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    public static JsonArray Self(HttpRequest request, string resource, string id) =>
        [new JsonObject { ["href"] = $"{Base(request)}/v2/{resource}/{id}", ["rel"] = "self" }];

    public static JsonArray SelfAndBookmark(HttpRequest request, string resource, string id) =>
    [
        new JsonObject { ["href"] = $"{Base(request)}/v2/{resource}/{id}", ["rel"] = "self" },
        new JsonObject { ["href"] = $"{Base(request)}/{resource}/{id}", ["rel"] = "bookmark" },
    ];
}
