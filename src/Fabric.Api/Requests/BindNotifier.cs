using System.Text;
using System.Text.Json;
using Fabric.Api.Hosting;
using Microsoft.Extensions.Options;

namespace Fabric.Api.Requests;

/// <summary>
/// Tells Nova that binds have ended, as Cyborg does: <c>POST os-server-external-events</c> with one
/// <c>accelerator-request-bound</c> event per ARQ, status <c>completed</c> or <c>failed</c>, at compute microversion 2.82
/// (the event name is valid from there; Nova refuses it with 400 below, and the boot then times out). Nothing when no URL
/// is configured. A 5xx or no answer is retried a few times; Nova's answer is logged. Nova also polls (<c>bind_state=resolved</c>).
/// </summary>
public sealed class BindNotifier(IHttpClientFactory http, IOptions<ApiOptions> options, ILogger<BindNotifier> log)
{
    public const string ClientName = "nova-events";
    public const string EventName = "accelerator-request-bound";

    /// <summary>The compute microversion Cyborg's Nova client sends the events with.</summary>
    public const string ComputeMicroversion = "2.82";

    /// <summary>Attempts in all; the waits between them double from <see cref="FirstRetryDelay"/> (0.2 + 0.4 + 0.8 s).</summary>
    public const int Attempts = 4;

    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);

    private const int MaxLoggedBody = 500;

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
        var body = JsonSerializer.Serialize(new { events });
        var delay = FirstRetryDelay;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                // A string body has a Content-Length (a streamed JSON body would go chunked).
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.TryAddWithoutValidation("OpenStack-API-Version", $"compute {ComputeMicroversion}");
                request.Headers.TryAddWithoutValidation("X-OpenStack-Nova-API-Version", ComputeMicroversion);
                request.Headers.Accept.ParseAdd("application/json");
                if (!string.IsNullOrEmpty(options.Value.NovaEventsToken))
                {
                    request.Headers.TryAddWithoutValidation("X-Auth-Token", options.Value.NovaEventsToken);
                }

                using var response = await http.CreateClient(ClientName).SendAsync(request);
                var answer = await response.Content.ReadAsStringAsync();
                if (answer.Length > MaxLoggedBody)
                {
                    answer = answer[..MaxLoggedBody] + "...";
                }

                var status = (int)response.StatusCode;
                if (status == 200)
                {
                    log.LogInformation("Nova answered {Status} to the {Count} bind event(s) of instance {Instance}: {Answer}", status, events.Length, instance, answer);
                    return;
                }

                if (status < 500 || attempt == Attempts)
                {
                    // 207: some events were not accepted (e.g. the instance is not on a compute host); 4xx: Nova refused them all.
                    log.LogWarning("Nova answered {Status} to the {Count} bind event(s) of instance {Instance} (attempt {Attempt}): {Answer}",
                        status, events.Length, instance, attempt, answer);
                    return;
                }

                log.LogWarning("Nova answered {Status} to the bind events of instance {Instance} (attempt {Attempt} of {Attempts}); retrying: {Answer}",
                    status, instance, attempt, Attempts, answer);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                if (ex is InvalidOperationException || attempt == Attempts)
                {
                    log.LogWarning("could not tell Nova at {Url} about the binds of instance {Instance} (attempt {Attempt}): {Problem}", url, instance, attempt, ex.Message);
                    return;
                }

                log.LogWarning("could not tell Nova at {Url} about the binds of instance {Instance} (attempt {Attempt} of {Attempts}); retrying: {Problem}",
                    url, instance, attempt, Attempts, ex.Message);
            }

            await Task.Delay(delay);
            delay *= 2;
        }
    }
}
