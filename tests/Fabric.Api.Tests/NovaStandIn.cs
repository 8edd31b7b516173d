using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fabric.Api.Tests;

/// <summary>One POST to the stand-in: what came and what it answered.</summary>
public sealed record NovaPost(string Path, string? Token, string? Microversion, string? NovaMicroversion, long? ContentLength, string? ContentType, JsonNode? Body, int Answer);

/// <summary>
/// A real HTTP listener (Kestrel on 127.0.0.1, a free port) standing in for Nova's <c>os-server-external-events</c>, strict as
/// Nova is: <c>accelerator-request-bound</c> needs compute microversion 2.82 (400 otherwise), the body must be JSON with a
/// length. Statuses queued in <see cref="Failures"/> are answered first (a Nova that is down or failing).
/// </summary>
public sealed class NovaStandIn : IAsyncDisposable
{
    public const string EventsPath = "/v2.1/os-server-external-events";

    private readonly WebApplication _app;

    private NovaStandIn(WebApplication app) => _app = app;

    public ConcurrentQueue<NovaPost> Posts { get; } = new();

    public ConcurrentQueue<int> Failures { get; } = new();

    public string EventsUrl { get; private set; } = "";

    public static async Task<NovaStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var nova = new NovaStandIn(app);
        app.MapPost(EventsPath, nova.Receive);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        nova.EventsUrl = address.TrimEnd('/') + EventsPath;
        return nova;
    }

    private async Task<IResult> Receive(HttpRequest request)
    {
        var text = await new StreamReader(request.Body).ReadToEndAsync();
        JsonNode? body = null;
        try
        {
            body = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        var microversion = request.Headers["OpenStack-API-Version"].ToString();
        var answer = Failures.TryDequeue(out var failure) ? failure
            : microversion != "compute 2.82" ? StatusCodes.Status400BadRequest
            : request.ContentLength is null || body?["events"] is not JsonArray ? StatusCodes.Status400BadRequest
            : StatusCodes.Status200OK;
        Posts.Enqueue(new NovaPost(request.Path, request.Headers["X-Auth-Token"].FirstOrDefault(), microversion,
            request.Headers["X-OpenStack-Nova-API-Version"].FirstOrDefault(), request.ContentLength, request.ContentType, body, answer));
        return answer == StatusCodes.Status200OK
            ? Results.Json(new JsonObject { ["events"] = body!["events"]!.DeepClone() }, statusCode: answer)
            : Results.Json(new JsonObject { ["badRequest"] = new JsonObject { ["code"] = answer, ["message"] = "Invalid input for field/attribute events" } }, statusCode: answer);
    }

    /// <summary>The events Nova accepted about one accelerator request.</summary>
    public IReadOnlyList<JsonNode> EventsFor(string arq) =>
        Posts.Where(p => p.Answer == StatusCodes.Status200OK).SelectMany(p => p.Body!["events"]!.AsArray())
            .Where(e => (string?)e!["tag"] == arq).Select(e => e!).ToArray();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
