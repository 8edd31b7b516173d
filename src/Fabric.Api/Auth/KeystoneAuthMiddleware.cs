using Fabric.Api.Http;
using Microsoft.Extensions.Options;

namespace Fabric.Api.Auth;

/// <summary>
/// keystonemiddleware's auth_token for fabric-api: every request but the version documents needs a valid
/// <c>X-Auth-Token</c> (401 with <c>WWW-Authenticate: Keystone uri="..."</c> otherwise); a <c>X-Service-Token</c>, when
/// sent, must be valid too and lends its roles (Nova's service role). Then Cyborg's default policy of the route decides
/// (403). Keystone unreachable: 503. With <c>--auth none</c> every request passes, unauthenticated.
/// </summary>
public sealed class KeystoneAuthMiddleware(RequestDelegate next, IOptions<AuthOptions> options, IServiceProvider services, ILogger<KeystoneAuthMiddleware> log)
{
    private readonly AuthOptions _options = options.Value;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_options.Keystone || IsPublic(context.Request.Path))
        {
            await next(context);
            return;
        }

        var keystone = services.GetRequiredService<KeystoneClient>();
        Caller? caller;
        try
        {
            caller = await Authenticate(context, keystone);
        }
        catch (KeystoneUnavailableException ex)
        {
            log.LogWarning("{Method} {Path}: {Reason}", context.Request.Method, context.Request.Path, ex.Message);
            await ApiError.Write(context, StatusCodes.Status503ServiceUnavailable, $"the identity service cannot validate the token now: {ex.Message}");
            return;
        }

        if (caller is null)
        {
            // keystonemiddleware's answer: where to get a token.
            context.Response.Headers.WWWAuthenticate = $"Keystone uri=\"{_options.PublicKeystoneUrl ?? _options.KeystoneUrl}\"";
            await ApiError.Write(context, StatusCodes.Status401Unauthorized, "The request you have made requires authentication.");
            return;
        }

        if (Policy.RuleFor(context.Request.Method, context.Request.Path) is { } rule && !rule.Allows(caller))
        {
            await ApiError.Write(context, StatusCodes.Status403Forbidden, Policy.Forbidden(rule).Message);
            return;
        }

        caller.AttachTo(context);
        await next(context);
    }

    /// <summary>The caller of the request's tokens, or null when a token is missing or not valid.</summary>
    private static async Task<Caller?> Authenticate(HttpContext context, KeystoneClient keystone)
    {
        var token = context.Request.Headers["X-Auth-Token"].ToString();
        if (string.IsNullOrEmpty(token) || await keystone.Validate(token, context.RequestAborted) is not { } user)
        {
            return null;
        }

        var serviceToken = context.Request.Headers["X-Service-Token"].ToString();
        if (string.IsNullOrEmpty(serviceToken))
        {
            return user;
        }

        return await keystone.Validate(serviceToken, context.RequestAborted) is { } service ? user with { ServiceRoles = service.Roles } : null;
    }

    /// <summary>The version documents are open to all, as Cyborg's public routes are.</summary>
    private static bool IsPublic(PathString path) =>
        path.Value is null or "" or "/" or "/v2" or "/v2/" || path.StartsWithSegments("/openapi");
}
