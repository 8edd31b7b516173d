using System.Text.Json.Nodes;
using Fabric.Api.Hosting;
using Microsoft.Extensions.Options;

namespace Fabric.Api.Http;

/// <summary>
/// Cyborg's <c>links</c>: absolute URLs under where this API is reached: the configured public URL (<c>--public-url</c>), else
/// the scheme, Host header and path base of the request (the client's choice, echoed).
/// </summary>
public static class Links
{
    public static string Base(HttpRequest request) =>
        request.HttpContext.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.PublicBase()
        ?? $"{request.Scheme}://{request.Host}{request.PathBase}";

    public static JsonArray Self(HttpRequest request, string resource, string id) =>
        [new JsonObject { ["href"] = $"{Base(request)}/v2/{resource}/{id}", ["rel"] = "self" }];

    public static JsonArray SelfAndBookmark(HttpRequest request, string resource, string id) =>
    [
        new JsonObject { ["href"] = $"{Base(request)}/v2/{resource}/{id}", ["rel"] = "self" },
        new JsonObject { ["href"] = $"{Base(request)}/{resource}/{id}", ["rel"] = "bookmark" },
    ];
}
