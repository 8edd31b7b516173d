using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Fabric.Api.Auth;

/// <summary>Keystone did not answer in time, or answered what it should not: the caller gets a 503.</summary>
public sealed class KeystoneUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// fabric-api's side of Keystone v3, as keystonemiddleware does it: a service token of its own (password auth, scoped to
/// its project; issued again before it expires or when Keystone stops taking it), and validation of callers' tokens
/// (<c>GET /v3/auth/tokens</c> with <c>X-Subject-Token</c>) with a bounded cache. Every call is bounded by the Keystone timeout.
/// </summary>
public sealed class KeystoneClient(IHttpClientFactory http, IOptions<AuthOptions> options, TimeProvider clock, ILogger<KeystoneClient> log)
{
    public const string ClientName = "keystone";

    private readonly AuthOptions _options = options.Value;
    private readonly SemaphoreSlim _issuing = new(1, 1);
    private readonly TokenCache _cache = new(options.Value.TokenCacheSize, options.Value.TokenCacheTime, clock);
    private ServiceToken? _service;

    /// <summary>How many times fabric-api asked Keystone to validate a token (the cache's misses); for tests and logs.</summary>
    public int Validations => _validations;

    private int _validations;

    /// <summary>The caller a token stands for, or null when Keystone does not know it (unknown, expired, revoked).</summary>
    public async Task<Caller?> Validate(string token, CancellationToken cancellation)
    {
        if (token.Length is 0 or > 8192)
        {
            return null;
        }

        if (_cache.Get(token) is { } cached)
        {
            return cached;
        }

        Interlocked.Increment(ref _validations);
        for (var attempt = 0; ; attempt++)
        {
            var service = await Service(renew: attempt > 0, cancellation);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_options.KeystoneBase, "auth/tokens"));
            request.Headers.Add("X-Auth-Token", service);
            request.Headers.Add("X-Subject-Token", token);
            using var response = await Send(request, cancellation);
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                // Our own token was refused (revoked, or Keystone's keys rotated): issue a new one and ask once more.
                continue;
            }

            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest)
            {
                return null;
            }

            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                throw new KeystoneUnavailableException($"Keystone refused to let fabric-api's service user '{_options.Username}' validate tokens (403): give it role service");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new KeystoneUnavailableException($"Keystone answered {(int)response.StatusCode} to a token validation");
            }

            var (caller, expires) = Parse(await ReadJson(response, cancellation));
            _cache.Put(token, caller, expires);
            return caller;
        }
    }

    /// <summary>fabric-api's own token; a new one when asked to, when there is none, or when it nears its expiry.</summary>
    private async Task<string> Service(bool renew, CancellationToken cancellation)
    {
        var current = _service;
        if (!renew && current is { } held && clock.GetUtcNow() < held.RenewAt)
        {
            return held.Token;
        }

        await _issuing.WaitAsync(cancellation);
        try
        {
            // Another request may have issued one while this one waited.
            if (!ReferenceEquals(_service, current) && _service is { } fresh && clock.GetUtcNow() < fresh.RenewAt)
            {
                return fresh.Token;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_options.KeystoneBase, "auth/tokens"))
            {
                // A body with its length: Keystone's WSGI servers do not all take a chunked one.
                Content = new StringContent(new JsonObject
                {
                    ["auth"] = new JsonObject
                    {
                        ["identity"] = new JsonObject
                        {
                            ["methods"] = new JsonArray("password"),
                            ["password"] = new JsonObject
                            {
                                ["user"] = new JsonObject
                                {
                                    ["name"] = _options.Username,
                                    ["domain"] = new JsonObject { ["name"] = _options.UserDomain },
                                    ["password"] = _options.EffectivePassword,
                                },
                            },
                        },
                        ["scope"] = new JsonObject
                        {
                            ["project"] = new JsonObject { ["name"] = _options.Project, ["domain"] = new JsonObject { ["name"] = _options.ProjectDomain } },
                        },
                    },
                }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            };
            using var response = await Send(request, cancellation);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new KeystoneUnavailableException($"Keystone refused fabric-api's service credential (user '{_options.Username}', project '{_options.Project}')");
            }

            if (!response.IsSuccessStatusCode || !response.Headers.TryGetValues("X-Subject-Token", out var tokens))
            {
                throw new KeystoneUnavailableException($"Keystone answered {(int)response.StatusCode} to fabric-api's service login");
            }

            var (_, expires) = Parse(await ReadJson(response, cancellation));
            var now = clock.GetUtcNow();

            // Renewed well before it expires: a validation under way must not carry a token that lapses on its way.
            var life = expires - now;
            var renewAt = now + (life > TimeSpan.FromMinutes(10) ? life - TimeSpan.FromMinutes(5) : life / 2);
            _service = new ServiceToken(tokens.First(), renewAt);
            log.LogInformation("fabric-api's Keystone service token issued, expires {Expires:O}", expires);
            return _service.Token;
        }
        finally
        {
            _issuing.Release();
        }
    }

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, CancellationToken cancellation)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bounded.CancelAfter(_options.KeystoneTimeout);
        try
        {
            return await http.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, bounded.Token);
        }
        catch (HttpRequestException ex)
        {
            throw new KeystoneUnavailableException($"Keystone at {_options.KeystoneUrl} cannot be reached: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellation.IsCancellationRequested)
        {
            throw new KeystoneUnavailableException($"Keystone at {_options.KeystoneUrl} did not answer within {_options.KeystoneTimeout}", ex);
        }
    }

    private static async Task<JsonNode> ReadJson(HttpResponseMessage response, CancellationToken cancellation)
    {
        try
        {
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellation)) ?? throw new KeystoneUnavailableException("Keystone answered JSON null");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new KeystoneUnavailableException("Keystone answered something that is not JSON", ex);
        }
    }

    private sealed record ServiceToken(string Token, DateTimeOffset RenewAt);

    /// <summary>The caller and expiry of a Keystone token document (<c>{"token": {...}}</c>).</summary>
    public static (Caller Caller, DateTimeOffset Expires) Parse(JsonNode document)
    {
        try
        {
            var token = document["token"] ?? throw new KeystoneUnavailableException("Keystone's token document has no 'token'");
            var expires = DateTimeOffset.Parse((string?)token["expires_at"] ?? throw new KeystoneUnavailableException("Keystone's token has no expires_at"),
                System.Globalization.CultureInfo.InvariantCulture);
            var roles = (token["roles"]?.AsArray() ?? []).Select(r => ((string?)r?["name"] ?? "").ToLowerInvariant()).Where(r => r.Length > 0).ToHashSet();
            var caller = new Caller((string?)token["user"]?["id"], (string?)token["project"]?["id"], roles, new HashSet<string>(), true);
            return (caller, expires);
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException)
        {
            throw new KeystoneUnavailableException($"Keystone's token document could not be read: {ex.Message}", ex);
        }
    }
}
