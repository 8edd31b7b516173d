using System.Net.Http.Json;
using Fabric.Api.Hosting;
using Microsoft.Extensions.Options;

namespace Fabric.Api.Requests;

/// <summary>
/// Tells Nova that binds have ended, as Cyborg does: <c>POST os-server-external-events</c> with one
/// <c>accelerator-request-bound</c> event per ARQ, status <c>completed</c> or <c>failed</c>. Nothing when no URL is configured.
/// A failure to tell is logged; Nova also polls (<c>bind_state=resolved</c>).
/// </summary>
public sealed class BindNotifier(IHttpClientFactory http, IOptions<ApiOptions> options, ILogger<BindNotifier> log)
{
    public const string ClientName = "nova-events";
    public const string EventName = "accelerator-request-bound";

    public async Task Notify(string instance, IReadOnlyList<(string Arq, bool Completed)> outcomes)
    {
        var url = options.Value.NovaEventsUrl;
        if (string.IsNullOrWhiteSpace(url) || outcomes.Count == 0)
        {
            return;
        }

        var events = outcomes.Select(o => new Dictionary<string, string>
        {
            ["name"] = EventName,
            ["server_uuid"] = instance,
            ["tag"] = o.Arq,
            ["status"] = o.Completed ? "completed" : "failed",
        }).ToArray();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new { events }) };
            if (!string.IsNullOrEmpty(options.Value.NovaEventsToken))
            {
                request.Headers.Add("X-Auth-Token", options.Value.NovaEventsToken);
            }

            using var response = await http.CreateClient(ClientName).SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                log.LogWarning("Nova answered {Status} to the bind events of instance {Instance}", (int)response.StatusCode, instance);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            log.LogWarning("could not tell Nova at {Url} about the binds of instance {Instance}: {Problem}", url, instance, ex.Message);
        }
    }
}
